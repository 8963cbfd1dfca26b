#pragma once
// The master's life across tests, as in Locust's web mode: what the next test runs (a scenario,
// possibly posted through the API, with overrides), the test running now or the last one, and
// starting, stopping and resetting from the API. Every test is a new test_runner with a new run
// id; the last one keeps answering the API until the next starts. Stats from the local worker
// (`swarmlet run`) reach the present test through this session's deliver().
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/config/overrides.hpp"
#include "common/green/event.hpp"
#include "common/green/green_thread.hpp"
#include "proto/messages.hpp"
#include "swarm_change.hpp"
#include "test_runner.hpp"

namespace swarmlet::master {

struct start_request {
  std::optional<std::string>
      scenario_yaml;  ///< replaces the scenario (its data files: next to the original)
  config::load_overrides overrides;  ///< over the (new) scenario's load
};

struct start_outcome {
  enum class kind { started, invalid, conflict };
  kind result = kind::started;
  std::string message;  ///< why not, in one line
};

/// What test_session::change_users() did.
struct change_outcome {
  bool changed = false;
  std::string message;    ///< why not, in one line
  int users = 0;          ///< changed: the users the test now asks for
  double spawn_rate = 0;  ///< and their rate
};

struct session_hooks {
  /// Makes the workers take part in `runner`'s test; `scenario_yaml` is its scenario's text
  /// (the master welcomes its workers with it again; `run` builds its local worker anew).
  std::function<void(test_runner& runner, const std::string& scenario_yaml)> attach;
  /// Workers ready now: a test needs one.
  std::function<int()> ready_workers;
  /// Why a posted scenario (loaded, with `scenario_yaml` its text) cannot reach the workers
  /// (its files too big to ship), in one line; nothing when it can. The start is refused then.
  std::function<std::optional<std::string>(const config::scenario& scenario,
                                           const std::string& scenario_yaml)>
      cannot_ship;
  /// A test ended with this exit code (0: every threshold held): write its reports.
  std::function<void(const test_runner& runner, int exit_code)> finished;
};

class test_session final : public proto::report_sink {
 public:
  /// `scenario` was loaded from `scenario_yaml` (its file's text); `base_dir` is where data
  /// files named by a posted scenario are found.
  test_session(std::shared_ptr<const config::scenario> scenario, std::string scenario_yaml,
               std::string base_dir, runner_options options, session_hooks hooks);
  ~test_session() override;
  test_session(const test_session&) = delete;
  test_session& operator=(const test_session&) = delete;

  /// Starts a test now; it runs on its own green thread until its run time or stop().
  start_outcome start(const start_request& request);
  /// Moves the test in progress to `change`'s users at its rate (a field left out keeps what
  /// the test asks for now), as the web API's swarm and the backdoor's spawn do. Not when no
  /// test runs, it is stopping, or it is of the open model: the outcome says which.
  change_outcome change_users(const swarm_change& change);
  /// Stops the test in progress (as Ctrl-C), if any.
  void stop();
  /// Stops it as a second Ctrl-C: without waiting for the workers' final reports.
  void stop_now();
  /// Parks until no test is in progress; the last test's exit code (0 when none ran).
  int wait_idle();
  /// A test is between its start and the end of its reports.
  bool active() const noexcept { return active_; }
  int tests_started() const noexcept { return tests_started_; }

  /// The test in progress or the last one; before the first, an idle one (empty stats).
  test_runner& current() noexcept { return *runner_; }
  const test_runner& current() const noexcept { return *runner_; }
  /// What the next start runs without overrides: the original or the last posted scenario.
  const config::scenario& scenario() const noexcept { return *scenario_; }
  const std::string& scenario_yaml() const noexcept { return scenario_yaml_; }
  /// Whether that scenario was posted through the API rather than read from the master's file
  /// (its `file` still names the master's, which names the reports).
  bool scenario_posted() const noexcept { return scenario_->posted; }

  void deliver(proto::stats_report report) override { runner_->deliver(std::move(report)); }

 private:
  std::shared_ptr<const config::scenario> scenario_;
  std::string scenario_yaml_;
  std::string base_dir_;
  runner_options options_;
  session_hooks hooks_;
  std::unique_ptr<test_runner> runner_;
  green::green_thread<void> test_thread_;
  green::event<> idle_;
  bool active_ = false;
  int tests_started_ = 0;
  int last_exit_code_ = 0;
};

}  // namespace swarmlet::master
