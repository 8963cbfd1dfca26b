#pragma once
// A worker's copy of the master's test: the scenario a welcome carries, loaded as the master
// loaded it, with its data files taken from the welcome itself (nothing is written to disk) and
// the master's effective target in place of the file's, its ${env.NAME} values and its tag filter;
// its scripted users' classes are loaded once here, as the hub threads will load them.
#include <memory>

#include "common/config/scenario.hpp"
#include "proto/codec.hpp"

namespace swarmlet::worker {

/// Throws config::config_error naming the scenario file, line and column (or the target, or
/// the script that does not load here, with its file:line).
std::shared_ptr<const config::scenario> install_scenario(const proto::welcome_payload& welcome);

}  // namespace swarmlet::worker
