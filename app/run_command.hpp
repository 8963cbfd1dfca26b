#pragma once
#include <CLI/CLI.hpp>

namespace swarmlet::app {

/// `swarmlet run FILE`: a master and a worker in one process.
void add_run_command(CLI::App& app, int& exit_code);
/// `swarmlet master FILE`: the master of a distributed test.
void add_master_command(CLI::App& app, int& exit_code);
/// `swarmlet worker --master HOST[:PORT]`: a worker of a distributed test.
void add_worker_command(CLI::App& app, int& exit_code);
/// `swarmlet target`: the built-in HTTP target server.
void add_target_command(CLI::App& app, int& exit_code);
/// `swarmlet keygen NAME`: a CURVE key pair for encrypted links between master and workers.
void add_keygen_command(CLI::App& app, int& exit_code);

}  // namespace swarmlet::app
