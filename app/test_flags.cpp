#include "test_flags.hpp"

#include <iostream>

#include "common/config/duration.hpp"
#include "common/config/scenario_loader.hpp"
#include "common/http/url.hpp"
#include "master/html_report.hpp"
#include "master/reports.hpp"

namespace swarmlet::app {

void add_test_flags(CLI::App& cmd, test_flags& f) {
  cmd.add_option("file", f.file, "Scenario file (YAML)")->required()->check(CLI::ExistingFile);
  cmd.add_option("-u,--users", f.users, "Peak number of users (overrides load.users and stages)")
      ->envname("SWARMLET_USERS")->check(CLI::Range(0, 10'000'000));
  cmd.add_option("-r,--spawn-rate", f.spawn_rate, "Users started per second")
      ->envname("SWARMLET_SPAWN_RATE")->check(CLI::Range(0.001, 1e7));
  cmd.add_option("-t,--run-time", f.run_time, "Stop after this long, e.g. 30s, 5m, 1h30m")->envname("SWARMLET_RUN_TIME");
  cmd.add_option("-H,--host", f.host, "Target base URL (overrides target:)")->envname("SWARMLET_HOST");
  cmd.add_option("--csv", f.csv, "Write CSV reports with this prefix")->envname("SWARMLET_CSV");
  cmd.add_option("--json", f.json, "Write the JSON summary to this file")->envname("SWARMLET_JSON");
  cmd.add_option("--html", f.html, "Write the HTML report to this file")->envname("SWARMLET_HTML");
  cmd.add_flag("-q,--quiet", f.quiet, "No console tables");
  cmd.add_option("--web-host", f.web_host, "Address of the HTTP API and /metrics")->envname("SWARMLET_WEB_HOST");
  cmd.add_option_function<int>(
         "--web-port", [&f](int p) { f.web_port = p, f.web_port_given = true; }, "Port of the HTTP API (0: any free port)")
      ->envname("SWARMLET_WEB_PORT")->check(CLI::Range(0, 65535));
  cmd.add_option("--web-token", f.web_token, "Bearer token the HTTP API requires (required off loopback)")
      ->envname("SWARMLET_WEB_TOKEN");
  cmd.add_flag("--no-web", f.no_web, "No HTTP API");
  cmd.add_option("--backdoor-port", f.backdoor_port, "Serve the backdoor console on 127.0.0.1:PORT (0: any)")
      ->check(CLI::Range(0, 65535));
}

config::scenario load_with_overrides(const test_flags& f) {
  config::scenario s = config::load_scenario_file(f.file);
  if (f.users) {
    s.load.users = *f.users;
    s.load.stages.clear();
  }
  if (f.spawn_rate) s.load.spawn_rate = *f.spawn_rate;
  if (!f.run_time.empty()) {
    auto d = config::parse_duration(f.run_time);
    if (!d) throw config::config_error("--run-time (or SWARMLET_RUN_TIME): '" + f.run_time +
                                       "' is not a duration (expected e.g. 30s, 5m, 1h30m)");
    s.load.run_time = *d;
  }
  if (!f.host.empty()) {
    std::string error;
    if (!http::parse_url(f.host, error)) throw config::config_error("--host (or SWARMLET_HOST): " + error);
    s.target = f.host;
  }
  if (!f.csv.empty()) s.report.csv_prefix = f.csv;
  if (!f.json.empty()) s.report.json_file = f.json;
  if (!f.html.empty()) s.report.html_file = f.html;
  return s;
}

bool write_reports(const config::scenario& s, const master::test_runner& runner, const master::run_summary& summary,
                   bool quiet) {
  try {
    if (!s.report.csv_prefix.empty()) {
      master::write_csv_reports(s.report.csv_prefix, runner.results(), summary);
      if (!quiet) std::cout << "wrote " << s.report.csv_prefix << "_stats.csv, _failures.csv, _stats_history.csv\n";
    }
    if (!s.report.json_file.empty()) {
      master::write_json_report(s.report.json_file, runner.results(), summary);
      if (!quiet) std::cout << "wrote " << s.report.json_file << "\n";
    }
    if (!s.report.html_file.empty()) {
      master::write_html_report(s.report.html_file, s, runner.results(), summary);
      if (!quiet) std::cout << "wrote " << s.report.html_file << "\n";
    }
    return true;
  } catch (const std::exception& e) {
    std::cerr << "swarmlet: " << e.what() << "\n";
    return false;
  }
}

}  // namespace swarmlet::app
