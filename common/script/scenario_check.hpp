#pragma once
// The master's look at a scenario's scripts before any worker starts: every scripted user's
// class is loaded as a worker will load it, so that a syntax error, a missing module or a bad
// class stops the test at once with its file:line (exit 2), not on every worker later; so does
// main.lua with a syntax error or a setup/teardown that is not a function.
#include <string>

#include "common/config/scenario.hpp"

namespace swarmlet::script {

/// Loads the class of every scripted user of `s`. Modules the scripts require when they load
/// are read from `base_dir` and added to s.scripts, so that they travel with the scenario.
/// Throws config::config_error ("poller.lua:12: ...").
void check_scripts(config::scenario& s, const std::string& base_dir);

/// A worker's look at the scripts its master sent (every module they require came with them:
/// none is read here): the class of every scripted user of `s` is loaded as the worker's hub
/// threads will load it. A script that fails on this machine only (its load reads sw.env) is
/// then refused at once, by file:line, where before every user of the worker failed to start
/// while the worker counted them as running. Throws config::config_error.
void check_user_classes(const config::scenario& s);

}  // namespace swarmlet::script
