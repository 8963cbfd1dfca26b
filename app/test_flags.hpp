#pragma once
// The load and report flags that `run` and `master` share (Locust's), their SWARMLET_*
// variables, and the reports written at the end of a test.
#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/config/config_error.hpp"
#include "common/config/scenario.hpp"
#include "common/green/green_thread.hpp"
#include "common/green/socket.hpp"
#include "master/test_runner.hpp"
#include "master/web_api.hpp"

namespace swarmlet::app {

struct test_flags {
  std::string file;
  std::optional<int> users;
  std::optional<double> spawn_rate;
  std::string run_time;
  std::string host;
  std::string csv, json, html;
  bool quiet = false;
  std::string web_host = "127.0.0.1";
  int web_port = 8089;
  bool web_port_given = false;
  std::string web_token;
  bool no_web = false;
  int backdoor_port = -1;  ///< -1: no backdoor
};

/// Adds FILE, -u, -r, -t, -H, --csv, --json, --html, -q to `cmd`.
void add_test_flags(CLI::App& cmd, test_flags& f);
/// Loads the scenario with the flags over it; throws config::config_error.
config::scenario load_with_overrides(const test_flags& f);
/// Serves the HTTP API and /metrics for `runner` in a green thread, as the flags say. Returns
/// false (after saying why) when it must not go on: an explicit port that is taken, or a
/// non-loopback address without a token. The default port being taken is only a warning.
bool start_web(const test_flags& f, master::test_runner& runner, std::function<nlohmann::json()> workers,
               green::green_thread<void>& server, std::unique_ptr<master::web_api>& api, green::socket& listener);

/// Writes the reports the scenario and flags ask for; returns false (after saying why) when
/// one could not be written.
bool write_reports(const config::scenario& s, const master::test_runner& runner, const master::run_summary& summary,
                   bool quiet);

}  // namespace swarmlet::app
