// swarmlet: the command line. Parses options, wires objects, runs.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <exception>
#include <string>

#include "exit_code.hpp"
#include "flag_checks.hpp"
#include "open_file_limit.hpp"
#include "run_command.hpp"

int main(int argc, char** argv) {
  CLI::App app{"swarmlet: a distributed load generator (Locust's model, wrk's speed)", "swarmlet"};
  app.require_subcommand(1);
  swarmlet::app::add_version_flag(app);
  // One line naming the flag and what was wrong (CLI11 adds a second, "Run with --help ...").
  // A value from an environment variable names the variable, not a flag that was not given.
  const std::vector<std::string> args(argv + 1, argv + argc);
  app.failure_message([&args](const CLI::App* a, const CLI::Error& e) {
    return "swarmlet: " + swarmlet::app::with_env_source(*a, e.what(), args) + " (see --help)\n";
  });
  swarmlet::app::raise_open_file_limit();
  // A write to a connection the peer reset fails with EPIPE, not a signal that ends the process
  // (as wrk and nginx): OpenSSL writes with write(2), which takes no MSG_NOSIGNAL, and a TLS
  // close_notify or alert to a server that reset killed a worker with all its stats (hunt).
  ::signal(SIGPIPE, SIG_IGN);
  int exit_code = 0;
  swarmlet::app::add_run_command(app, exit_code);
  swarmlet::app::add_master_command(app, exit_code);
  swarmlet::app::add_worker_command(app, exit_code);
  swarmlet::app::add_target_command(app, exit_code);
  swarmlet::app::add_keygen_command(app, exit_code);
  // CLI11 said "A subcommand is required" of `swarmlet bogus`, as if none had been given.
  if (!args.empty() && !args[0].empty() && args[0][0] != '-') {
    std::string known;
    bool found = false;
    const CLI::App& commands = app;
    for (const CLI::App* sub : commands.get_subcommands([](const CLI::App*) { return true; })) {
      known += (known.empty() ? "" : ", ") + sub->get_name();
      found = found || sub->check_name(args[0]);
    }
    if (!found) {
      std::fprintf(stderr, "swarmlet: '%s' is not a command (%s; see --help)\n", args[0].c_str(),
                   known.c_str());
      return swarmlet::app::exit_bad_usage;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : swarmlet::app::exit_bad_usage;
  } catch (const std::exception& e) {
    // What no command turned into an exit code of its own, e.g. a hub the kernel refuses
    // (SWARMLET_HUB=io_uring where io_uring is disabled): one line, not std::terminate's.
    std::fprintf(stderr, "swarmlet: %s\n", e.what());
    return 1;
  }
  return exit_code;
}
