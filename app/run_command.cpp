#include "run_command.hpp"

#include <signal.h>

#include <iostream>
#include <memory>
#include <thread>

#include "common/config/duration.hpp"
#include "common/config/scenario_loader.hpp"
#include "common/http/url.hpp"
#include "common/green/hub.hpp"
#include "common/green/operations.hpp"
#include "master/reports.hpp"
#include "master/test_runner.hpp"
#include "signal_watch.hpp"
#include "worker/runtime.hpp"

namespace swarmlet::app {
namespace {

struct run_flags {
  std::string file;
  std::optional<int> users;
  std::optional<double> spawn_rate;
  std::string run_time;
  int threads = 0;
  std::string host;
  std::string csv, json, html;
  int report_interval_ms = 1000;
  bool quiet = false;
};

/// Flags (and SWARMLET_* variables, which CLI11 reads for flags not given) over the file.
void apply_overrides(config::scenario& s, const run_flags& f) {
  if (f.users) s.load.users = *f.users, s.load.stages.clear();
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
}

int run(const run_flags& f) {
  block_signals({SIGINT, SIGTERM});
  config::scenario loaded;
  try {
    loaded = config::load_scenario_file(f.file);
    apply_overrides(loaded, f);
  } catch (const config::config_error& e) {
    std::cerr << "swarmlet: " << e.what() << "\n";
    return 2;
  }
  auto scenario = std::make_shared<const config::scenario>(std::move(loaded));
  if (!scenario->report.html_file.empty())
    std::cerr << "swarmlet: note: the HTML report is not built yet; " << scenario->report.html_file
              << " will not be written (CSV and JSON are)\n";

  green::hub hub(green::hub_options::from_environment());
  master::runner_options ro;
  ro.console = f.quiet ? nullptr : &std::cout;
  master::test_runner runner(scenario, ro);
  worker::runtime_options wo;
  wo.threads = f.threads > 0 ? f.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  wo.report_interval = std::chrono::milliseconds(f.report_interval_ms);
  wo.hub = green::hub_options::from_environment();
  worker::runtime worker(scenario, wo, runner);
  runner.add_worker(worker, wo.worker_id, wo.threads);

  signal_watch signals({SIGINT, SIGTERM});
  auto on_signal = green::spawn([&] {
    const int sig = signals.wait();
    std::cerr << "swarmlet: " << (sig == SIGINT ? "SIGINT" : "SIGTERM") << ": stopping the test\n";
    runner.request_stop();
  });
  const int code = runner.run();
  on_signal.kill();

  master::run_summary summary = runner.summary();
  try {
    if (!scenario->report.csv_prefix.empty()) {
      master::write_csv_reports(scenario->report.csv_prefix, runner.results(), summary);
      if (!f.quiet) std::cout << "wrote " << scenario->report.csv_prefix << "_stats.csv, _failures.csv, _stats_history.csv\n";
    }
    if (!scenario->report.json_file.empty()) {
      master::write_json_report(scenario->report.json_file, runner.results(), summary);
      if (!f.quiet) std::cout << "wrote " << scenario->report.json_file << "\n";
    }
  } catch (const std::exception& e) {
    std::cerr << "swarmlet: " << e.what() << "\n";
    return 2;
  }
  return code;
}

}  // namespace

void add_run_command(CLI::App& app, int& exit_code) {
  auto f = std::make_shared<run_flags>();
  auto* cmd = app.add_subcommand("run", "Run a load test in this process (a master and a worker)");
  cmd->add_option("file", f->file, "Scenario file (YAML)")->required()->check(CLI::ExistingFile);
  cmd->add_option("-u,--users", f->users, "Peak number of users (overrides load.users and stages)")
      ->envname("SWARMLET_USERS")->check(CLI::Range(0, 10'000'000));
  cmd->add_option("-r,--spawn-rate", f->spawn_rate, "Users started per second")
      ->envname("SWARMLET_SPAWN_RATE")->check(CLI::Range(0.001, 1e7));
  cmd->add_option("-t,--run-time", f->run_time, "Stop after this long, e.g. 30s, 5m, 1h30m")->envname("SWARMLET_RUN_TIME");
  cmd->add_option("--threads", f->threads, "Hub threads (default: one per core)")
      ->envname("SWARMLET_THREADS")->check(CLI::Range(1, 1024));
  cmd->add_option("-H,--host", f->host, "Target base URL (overrides target:)")->envname("SWARMLET_HOST");
  cmd->add_option("--csv", f->csv, "Write CSV reports with this prefix")->envname("SWARMLET_CSV");
  cmd->add_option("--json", f->json, "Write the JSON summary to this file")->envname("SWARMLET_JSON");
  cmd->add_option("--html", f->html, "Write the HTML report to this file")->envname("SWARMLET_HTML");
  cmd->add_option("--report-interval-ms", f->report_interval_ms, "Worker stats report interval")
      ->check(CLI::Range(10, 60'000));
  cmd->add_flag("-q,--quiet", f->quiet, "No console tables");
  cmd->callback([f, &exit_code] { exit_code = run(*f); });
}

}  // namespace swarmlet::app
