// swarmlet: the command line. Parses options, wires objects, runs.
#include <CLI/CLI.hpp>

#include "run_command.hpp"

int main(int argc, char** argv) {
  CLI::App app{"swarmlet: a distributed load generator (Locust's model, wrk's speed)", "swarmlet"};
  app.require_subcommand(1);
  int exit_code = 0;
  swarmlet::app::add_run_command(app, exit_code);
  swarmlet::app::add_master_command(app, exit_code);
  swarmlet::app::add_worker_command(app, exit_code);
  swarmlet::app::add_target_command(app, exit_code);
  swarmlet::app::add_keygen_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return exit_code;
}
