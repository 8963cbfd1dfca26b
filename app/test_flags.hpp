#pragma once
// The load and report flags that `run` and `master` share (Locust's), their SWARMLET_*
// variables, and the reports written at the end of a test.
#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/config/config_error.hpp"
#include "common/config/scenario.hpp"
#include "flag_checks.hpp"
#include "master/test_runner.hpp"
#include "master/test_session.hpp"

namespace swarmlet::app {

class runner_faces;

struct test_flags {
  std::string file;         ///< the scenario file (after load_test: whichever form was given)
  std::string file_option;  ///< -f FILE (Locust's habit), the same as the positional FILE
  std::optional<int> users;
  std::optional<double> spawn_rate;
  std::string run_time;
  std::string host;
  std::string csv, json, html;
  bool csv_full_history = false;  ///< Locust's: history rows per name too
  bool quiet = false;
  std::string web_host = "127.0.0.1";
  int web_port = 8089;
  bool web_port_given = false;
  std::string web_token;
  bool no_web = false;
  bool web_ui =
      false;  ///< tests start from the web UI (or the API); the process stays up between them
  int backdoor_port = -1;      ///< -1: no backdoor
  int exit_code_on_error = 1;  ///< without thresholds, the exit code when any request failed
  std::vector<std::string> tags, exclude_tags;  ///< Locust's -T/--tags, -E/--exclude-tags
  log_level level = log_level::info;
};

/// Adds FILE (or -f), -u, -r, -t, -H, --csv, --csv-full-history, --json, --html, -q, the web and
/// backdoor flags, --exit-code-on-error, --tags, --exclude-tags, --loglevel and --version to `cmd`.
void add_test_flags(CLI::App& cmd, test_flags& f);
/// A file's bytes (empty when it cannot be read).
std::string read_file(const std::string& path);
/// Settles the scenario file (FILE or -f, into f.file), loads it with the flags over it (the
/// tag filter included) and checks that every report it asks for can be written. Throws
/// config::config_error with a one-line reason: the test must not start.
config::scenario load_test(test_flags& f);
/// How the runner writes reports as the test goes, from the flags.
master::live_report_options live_report_flags(const test_flags& f);
/// Writes the final reports the scenario and flags ask for; returns false (after saying why)
/// when one could not be written.
bool write_reports(const config::scenario& s, const master::test_runner& runner,
                   const master::run_summary& summary, bool quiet);
/// Runs the tests the flags ask for through `session`: one now, to its end (headless), or with
/// --web-ui, whatever the web UI and API start until Ctrl-C or POST /api/quit. `wait_ready`
/// parks until the workers are there (false: they did not come, or it was told to quit).
/// Returns the exit code: the last test's (see test_exit_code), 2 when it could not start, 3
/// when the workers did not come, 0 when told to quit (Ctrl-C) while waiting for them.
int run_tests(const test_flags& f, master::test_session& session, runner_faces& faces,
              const std::function<bool()>& wait_ready);

}  // namespace swarmlet::app
