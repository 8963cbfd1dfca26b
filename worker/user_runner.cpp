#include "user_runner.hpp"

#include <random>

#include "common/green/operations.hpp"
#include "common/green/timeout.hpp"
#include "request_executor.hpp"

namespace swarmlet::worker {

user_runner::user_runner(const config::scenario& scenario, const config::user_spec& spec,
                         stats::stats_table& stats, std::shared_ptr<green::tls_context> tls,
                         user_options options)
    : scenario_(scenario), spec_(spec), stats_(stats), tls_(std::move(tls)), options_(options) {}

void user_runner::stop() {
  if (!stop_.ready()) stop_.send();
  if (!work_.ready()) work_.send();  // an idle open-model user wakes to leave
}

void user_runner::assign(green::time_point intended) {
  assigned_ = intended;
  if (!work_.ready()) work_.send();
}

bool user_runner::wait_for(std::chrono::microseconds d) {
  if (stop_.ready()) return false;
  if (d.count() <= 0) {
    green::yield();  // never starve the other users of this hub
    return !stop_.ready();
  }
  return !stop_.wait_for(d).has_value();
}

struct user_runner::session {
  session(user_runner& u)
      : client([&] {
          std::string error;
          http::client_options copts;
          copts.connect_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
              u.scenario_.http.connect_timeout);
          copts.read_timeout =
              std::chrono::duration_cast<std::chrono::milliseconds>(u.scenario_.http.timeout);
          copts.verify_tls = u.scenario_.http.verify_tls;
          copts.max_redirects = u.scenario_.http.max_redirects;
          return http::client(*http::parse_url(u.scenario_.target, error), copts, u.tls_);
        }()),
        exec(client, u.stats_, vars),
        spec(u.spec_),
        row(u.options_.data_row) {
    vars.rng.seed(u.options_.seed);
    vars.values["user_id"] = std::to_string(u.options_.user_id);
    load_data_row();
    std::vector<int> weights;
    for (const auto& t : spec.tasks) weights.push_back(t.weight);
    pick = std::discrete_distribution<std::size_t>(weights.begin(), weights.end());
  }
  void load_data_row() {
    if (!spec.data) return;
    const auto& d = *spec.data;
    const std::size_t r =
        d.mode == config::data_spec::order::random
            ? std::uniform_int_distribution<std::size_t>(0, d.rows.size() - 1)(vars.rng)
            : row++ % d.rows.size();
    for (std::size_t c = 0; c < d.columns.size(); ++c) vars.values[d.columns[c]] = d.rows[r][c];
  }
  const config::task_spec& next_task() { return spec.tasks[pick(vars.rng)]; }

  user_variables vars;
  http::client client;
  request_executor exec;
  const config::user_spec& spec;
  std::size_t row;
  std::discrete_distribution<std::size_t> pick;
  std::uint64_t iteration = 0;
};

bool user_runner::run_steps(session& s, const std::vector<config::request_spec>& steps,
                            std::optional<green::time_point> intended, const char* part) {
  bool first = true;
  for (const auto& step : steps) {
    if (stop_.ready()) break;
    // Only the first request has a schedule; the later ones start when the previous ended.
    const bool ok = s.exec.run(step, first ? intended : std::nullopt);
    first = false;
    if (ok || step.on_failure == config::failure_action::continue_task) continue;
    if (step.on_failure == config::failure_action::end_task) break;
    // Locust's StopUser: the user ends here. Its failure row says why the user count of its
    // class dwindles; the request's own row says what failed.
    stats_.record_error("USER", spec_.name,
                        std::string("stopped by a failed request in ") + part + ": " + step.method +
                            " " + step.name);
    return false;
  }
  return true;
}

bool user_runner::run_task(session& s, const config::task_spec& task,
                           std::optional<green::time_point> intended) {
  s.vars.values["iteration"] = std::to_string(s.iteration++);
  const bool go_on = run_steps(s, task.steps, intended, "a task");
  if (spec_.data && spec_.data->mode == config::data_spec::order::random) s.load_data_row();
  return go_on;
}

void user_runner::run_on_stop(session& s) {
  // on_stop runs even though the user was asked to stop; bounded, so a stuck target cannot
  // hold the end of the test.
  if (spec_.on_stop.empty()) return;
  green::with_timeout(scenario_.http.timeout, [&] {
    for (const auto& step : spec_.on_stop)
      if (!s.exec.run(step) && step.on_failure != config::failure_action::continue_task) break;
  });
}

void user_runner::run() {
  session s(*this);
  if (!run_steps(s, spec_.on_start, std::nullopt, "on_start")) return run_on_stop(s);
  const auto& wait = spec_.wait;
  while (!stop_.ready()) {
    const auto task_start = green::clock::now();
    if (!run_task(s, s.next_task(), std::nullopt)) break;
    std::chrono::microseconds pause{0};
    switch (wait.type) {
      case config::wait_spec::kind::none:
        break;
      case config::wait_spec::kind::constant:
        pause = wait.a;
        break;
      case config::wait_spec::kind::between:
        pause = std::chrono::microseconds(std::uniform_int_distribution<std::int64_t>(
            wait.a.count(), wait.b.count())(s.vars.rng));
        break;
      case config::wait_spec::kind::pacing:
      case config::wait_spec::kind::throughput: {
        const auto period =
            wait.type == config::wait_spec::kind::pacing
                ? wait.a
                : std::chrono::microseconds(static_cast<std::int64_t>(1e6 / wait.per_second));
        const auto elapsed =
            std::chrono::duration_cast<std::chrono::microseconds>(green::clock::now() - task_start);
        pause = period - elapsed;
        break;
      }
    }
    if (!wait_for(pause)) break;
  }
  run_on_stop(s);
}

void user_runner::run_open(const std::function<void(user_runner&)>& idle) {
  session s(*this);
  if (!run_steps(s, spec_.on_start, std::nullopt, "on_start")) return run_on_stop(s);
  while (!stop_.ready()) {
    if (!assigned_) {
      work_.reset();
      idle(*this);
      work_.wait();
      if (!assigned_) continue;  // woken to stop
    }
    const green::time_point intended = *assigned_;
    assigned_.reset();
    // The generator's own lag: how late this iteration starts against its schedule.
    const auto late =
        std::chrono::duration_cast<std::chrono::microseconds>(green::clock::now() - intended);
    stats_.lag().record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, late.count())), 0,
                        false);
    if (!run_task(s, s.next_task(), intended)) break;
  }
  run_on_stop(s);
}

}  // namespace swarmlet::worker
