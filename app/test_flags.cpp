#include "test_flags.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "common/config/input_file.hpp"
#include "common/config/overrides.hpp"
#include "common/config/scenario_loader.hpp"
#include "common/config/tag_filter.hpp"
#include "common/script/scenario_check.hpp"
#include "exit_code.hpp"
#include "master/html_report.hpp"
#include "master/reports.hpp"
#include "report_paths.hpp"
#include "runner_faces.hpp"
#include "worker/client_settings.hpp"

namespace swarmlet::app {

void add_test_flags(CLI::App& cmd, test_flags& f) {
  cmd.add_option("file", f.file, "Scenario file (YAML); or -f FILE")->check(CLI::ExistingFile);
  cmd.add_option("-f,--file", f.file_option, "Scenario file (YAML), as Locust's -f")
      ->check(CLI::ExistingFile);
  cmd.add_option(
         "-u,--users", f.users,
         "Peak number of users (overrides load.users and stages; default: load.users, else 1)")
      ->envname("SWARMLET_USERS")
      ->check(whole_number())
      ->check(CLI::Range(0, 10'000'000));
  cmd.add_option("-r,--spawn-rate", f.spawn_rate,
                 "Users started per second (default: load.spawn_rate, else 1)")
      ->envname("SWARMLET_SPAWN_RATE")
      ->check(any_number())
      ->check(CLI::Range(0.001, 1e7));
  cmd.add_option("-t,--run-time", f.run_time, "Stop after this long, e.g. 30s, 5m, 1h30m")
      ->envname("SWARMLET_RUN_TIME")
      ->check(not_empty());
  cmd.add_option("-H,--host", f.host, "Target base URL (overrides target:)")
      ->envname("SWARMLET_HOST")
      ->check(not_empty());
  cmd.add_option("--csv", f.csv,
                 "Write CSV reports with this prefix (kept up to date while the test runs)")
      ->envname("SWARMLET_CSV")
      ->check(not_empty());
  cmd.add_flag("--csv-full-history", f.csv_full_history,
               "Write a row per name in PREFIX_stats_history.csv, besides the Aggregated row")
      ->envname("SWARMLET_CSV_FULL_HISTORY");
  cmd.add_option("--json", f.json,
                 "Write the JSON summary to this file (kept up to date while the test runs)")
      ->envname("SWARMLET_JSON")
      ->check(not_empty());
  cmd.add_option("--html", f.html, "Write the HTML report to this file")
      ->envname("SWARMLET_HTML")
      ->check(not_empty());
  cmd.add_flag("-q,--quiet", f.quiet,
               "No console tables (warnings and threshold verdicts still print)")
      ->envname("SWARMLET_QUIET");
  cmd.add_option("--web-host", f.web_host, "Address of the HTTP API and /metrics")
      ->capture_default_str()
      ->envname("SWARMLET_WEB_HOST")
      ->check(not_empty());
  cmd.add_option_function<int>(
         "--web-port", [&f](int p) { f.web_port = p, f.web_port_given = true; },
         "Port of the HTTP API (0: any free port)")
      ->default_str("8089")
      ->envname("SWARMLET_WEB_PORT")
      ->check(whole_number())
      ->check(CLI::Range(0, 65535));
  cmd.add_option("--web-token", f.web_token,
                 "Bearer token the HTTP API requires (required off loopback)")
      ->envname("SWARMLET_WEB_TOKEN")
      ->check(not_empty());
  cmd.add_flag("--headless,--no-web", f.no_web, "No web UI or HTTP API (Locust's --headless)")
      ->envname("SWARMLET_HEADLESS");
  cmd.add_flag("--web-ui", f.web_ui,
               "Start no test now: tests start from the web UI (or POST /api/start), and swarmlet "
               "stays up "
               "between them until Ctrl-C or POST /api/quit")
      ->envname("SWARMLET_WEB_UI");
  cmd.add_option("--backdoor-port", f.backdoor_port,
                 "Serve the backdoor console on 127.0.0.1:PORT (0: any)")
      ->check(whole_number())
      ->check(CLI::Range(0, 65535));
  cmd.add_option("--exit-code-on-error", f.exit_code_on_error,
                 "Exit code of a test without thresholds in which any request failed or a script "
                 "raised an error (with "
                 "thresholds, they decide)")
      ->capture_default_str()
      ->envname("SWARMLET_EXIT_CODE_ON_ERROR")
      ->check(whole_number())
      ->check(CLI::Range(0, 255));
  // One value per flag (a,b or the flag again), so that a FILE after the flag stays the file.
  cmd.add_option("-T,--tags", f.tags,
                 "Run only the tasks with one of these tags, comma-separated, e.g. -T "
                 "checkout,browse (a task has its user's tags too)")
      ->envname("SWARMLET_TAGS")
      // One TEXT: CLI11 wrote "TEXT ...", its sign for several values after one flag.
      ->option_text("TEXT (Env:SWARMLET_TAGS)")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->delimiter(',');
  cmd.add_option("-E,--exclude-tags", f.exclude_tags,
                 "Do not run the tasks with any of these tags, comma-separated, e.g. -E slow,admin")
      ->envname("SWARMLET_EXCLUDE_TAGS")
      ->option_text("TEXT (Env:SWARMLET_EXCLUDE_TAGS)")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->delimiter(',');
  add_log_level_flag(cmd, f.level);
  add_version_flag(cmd);
}

std::string read_file(const std::string& path) {
  std::string why;  // the loader read it first and said why it could not
  return config::read_input_file(path, why).value_or(std::string());
}

config::scenario load_test(test_flags& f) {
  if (f.web_ui && f.no_web && f.backdoor_port < 0)
    throw config::config_error(
        "--web-ui with --headless (--no-web) and no --backdoor-port: nothing could start a test");
  try {
    f.file = scenario_file_from(f.file, f.file_option);
    f.file_option.clear();
  } catch (const std::invalid_argument& e) {
    throw config::config_error(e.what());
  }
  config::scenario s = config::load_scenario_file(f.file);
  const std::string dir = std::filesystem::path(f.file).parent_path().string();
  script::check_scripts(s, dir.empty() ? "." : dir);
  // The TLS files parse and match (a key of another certificate) before any worker starts.
  try {
    http::make_tls_context(worker::client_options_of(s));
  } catch (const green::tls_error& e) {
    throw config::config_error(f.file + ": http: ca_file, client_cert or client_key: " + e.what());
  }
  config::load_overrides o;
  o.users = f.users;
  o.spawn_rate = f.spawn_rate;
  if (!f.run_time.empty()) o.run_time = f.run_time;
  if (!f.host.empty()) o.host = f.host;
  config::apply_overrides(s, o,
                          {"-u (or SWARMLET_USERS)", "--run-time (or SWARMLET_RUN_TIME)",
                           "--host (or SWARMLET_HOST)", "stages", "-r (or SWARMLET_SPAWN_RATE)"});
  if (!f.csv.empty()) s.report.csv_prefix = f.csv;
  if (!f.json.empty()) s.report.json_file = f.json;
  if (!f.html.empty()) s.report.html_file = f.html;
  config::apply_tag_filter(s, f.tags, f.exclude_tags);
  if (auto error = check_report_files(s.report, input_files(s, f.file)))
    throw config::config_error(*error);
  return s;
}

master::live_report_options live_report_flags(const test_flags& f) {
  master::live_report_options o;
  o.csv_full_history = f.csv_full_history;
  return o;
}

bool write_reports(const config::scenario& s, const master::test_runner& runner,
                   const master::run_summary& summary, bool quiet) {
  try {
    if (!s.report.csv_prefix.empty()) {
      master::write_csv_reports(s.report.csv_prefix, runner.results(), summary);
      // The history is not written here but appended while the test ran (live_reports): when
      // that failed for good (the runner warned), it is not there to be said written.
      const std::string history = s.report.csv_prefix + "_stats_history.csv";
      const bool history_there = std::filesystem::is_regular_file(history);
      if (!quiet)
        std::cout << "wrote " << s.report.csv_prefix << "_stats.csv, _failures.csv, _exceptions.csv"
                  << (history_there ? ", _stats_history.csv" : "") << "\n";
      if (!history_there)
        std::cerr << "swarmlet: WARNING: no " << history
                  << ": it could not be written while the test ran\n";
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

int run_tests(const test_flags& f, master::test_session& session, runner_faces& faces,
              const std::function<bool()>& wait_ready) {
  // The last test's verdict: a test posted through the API brings its own thresholds.
  const auto verdict = [&](int threshold_code) {
    const auto& runner = session.current();
    if (!runner.summary().setup_error.empty()) return exit_setup_failed;
    // The failures the reports judged (a report merged after the end does not change it).
    const bool has_thresholds = !runner.scenario().thresholds.empty();
    const auto& summary = runner.summary();
    const auto failed = summary.failed_requests + summary.script_errors;
    const int code = test_exit_code(has_thresholds, threshold_code, failed, f.exit_code_on_error);
    // Thresholds print their verdict; failed requests ended a run with 1 and, under -q, no word.
    if (!has_thresholds && failed > 0 && code != 0)
      std::cerr << "swarmlet: " << summary.failures_text() << ": exit code " << code
                << " (--exit-code-on-error chooses it; thresholds decide instead)" << std::endl;
    return code;
  };
  if (f.web_ui) {
    if (f.no_web && f.level <= log_level::warning)
      std::cerr
          << "swarmlet: --web-ui with --headless (--no-web): only the backdoor console can start "
             "tests\n";
    std::cout << "swarmlet: waiting for a test to be started from the web UI; Ctrl-C quits"
              << std::endl;
    faces.wait_for_quit();
    return verdict(session.wait_idle());
  }
  // Asked to quit while waiting (Ctrl-C): no test ran, so nothing failed, and the exit is that
  // of a test Ctrl-C'd before a request failed (Locust's too), not the missing workers' code.
  if (!wait_ready()) return faces.quitting() ? 0 : exit_missing_workers;
  const auto outcome = session.start({});
  if (outcome.result != master::start_outcome::kind::started) {
    std::cerr << "swarmlet: " << outcome.message << "\n";
    return exit_bad_usage;
  }
  return verdict(session.wait_idle());
}

}  // namespace swarmlet::app
