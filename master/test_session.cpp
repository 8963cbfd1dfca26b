#include "test_session.hpp"

#include "common/config/scenario_loader.hpp"
#include "common/green/operations.hpp"
#include "common/script/scenario_check.hpp"

namespace swarmlet::master {

test_session::test_session(std::shared_ptr<const config::scenario> scenario,
                           std::string scenario_yaml, std::string base_dir, runner_options options,
                           session_hooks hooks)
    : scenario_(std::move(scenario)),
      scenario_yaml_(std::move(scenario_yaml)),
      // The scenario's own directory: "" for a file named without one (its scripts and data
      // files were not found for a posted scenario).
      base_dir_(base_dir.empty() ? "." : std::move(base_dir)),
      options_(options),
      hooks_(std::move(hooks)),
      runner_(std::make_unique<test_runner>(scenario_, options_)) {
  idle_.send();
}

test_session::~test_session() {
  if (test_thread_.valid()) test_thread_.kill();
}

start_outcome test_session::start(const start_request& request) {
  using kind = start_outcome::kind;
  if (active_)
    return {kind::conflict, runner_->state() == test_runner::phase::stopping
                                ? "the test is stopping (its workers' final reports are on their "
                                  "way): start the next one once it has stopped"
                                : "a test is running: stop it first"};
  if (hooks_.ready_workers && hooks_.ready_workers() == 0)
    return {kind::conflict,
            "no worker has connected yet: start one with `swarmlet worker --master HOST:PORT`"};
  std::shared_ptr<const config::scenario> base = scenario_;
  std::string yaml = scenario_yaml_;
  config::scenario next;
  try {
    if (request.scenario_yaml) {
      next = config::load_confined_scenario_text(*request.scenario_yaml, "the posted scenario",
                                                 base_dir_);
      // Its scripts load here first, as a scenario file's do before the master starts: a bad
      // one is refused with its line, not found out by every worker.
      script::check_scripts(next, base_dir_);
      // Where reports go is the master's own choice (its flags), never a poster's, and they
      // are named after its scenario file.
      next.report = scenario_->report;
      // Without a target of its own (or a "host"), it runs against the master's, as Locust's
      // web UI fills its host field from -H.
      if (next.target.empty()) next.target = scenario_->target;
      next.posted = true;
      config::scenario kept = next;
      kept.file = scenario_->file;
      base = std::make_shared<const config::scenario>(std::move(kept));
      yaml = *request.scenario_yaml;
      if (hooks_.cannot_ship)
        if (auto problem = hooks_.cannot_ship(next, yaml)) return {kind::invalid, *problem};
    } else {
      next = *scenario_;
    }
    // Their errors name the posted scenario, as its own do.
    config::apply_overrides(next, request.overrides,
                            {"users", "run_time", "host", "stages", "spawn_rate"});
    next.file = base->file;
  } catch (const config::config_error& e) {
    return {kind::invalid, e.what()};
  }
  scenario_ = std::move(base);
  scenario_yaml_ = std::move(yaml);

  runner_ = std::make_unique<test_runner>(std::make_shared<const config::scenario>(std::move(next)),
                                          options_);
  if (hooks_.attach) hooks_.attach(*runner_, scenario_yaml_);
  active_ = true;
  ++tests_started_;
  idle_.reset();
  test_thread_ = green::spawn([this] {
    test_runner& runner = *runner_;
    const int code = runner.run();
    if (hooks_.finished) hooks_.finished(runner, code);
    last_exit_code_ = code;
    active_ = false;
    idle_.send();
  });
  return {};
}

change_outcome test_session::change_users(const swarm_change& change) {
  test_runner& runner = *runner_;
  // As Locust's: a field left out keeps what the test now asks for (it was 0 users from the web
  // UI's empty field, or a rate of 1).
  const int users = change.users.value_or(runner.requested_users());
  const double rate = change.spawn_rate.value_or(runner.requested_spawn_rate());
  switch (runner.change_users(users, rate)) {
    case test_runner::change_result::changed:
      return {true, {}, users, rate};
    case test_runner::change_result::not_running:
      return {false, "no test is running"};
    case test_runner::change_result::setting_up:
      return {false,
              "the test is running main.lua's setup(): its users start once it returns (change "
              "them then)"};
    case test_runner::change_result::stopping:
      return {false,
              "the test is stopping: its users are not changed (start a new test once it has "
              "stopped)"};
    case test_runner::change_result::open_model:
      return {false, "the open model takes no user count: change its rate in the scenario"};
  }
  return {false, "no test is running"};
}

void test_session::stop() {
  if (active_) runner_->request_stop();
}

void test_session::stop_now() {
  if (active_) runner_->stop_now();
}

int test_session::wait_idle() {
  idle_.wait();
  return last_exit_code_;
}

}  // namespace swarmlet::master
