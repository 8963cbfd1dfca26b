#include "user_runner.hpp"

#include <random>

#include "client_settings.hpp"
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
  turns_.wake();  // an idle open-model user wakes to leave
}

bool user_runner::stop_if_rowless() {
  if (holds_unused_row_) return false;
  ran_out_of_rows_ = true;
  stop();
  return true;
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
          return http::client(*http::parse_url(u.scenario_.target, error),
                              client_options_of(u.scenario_.http), u.tls_);
        }()),
        ws(client.base(), websocket_options_of(u.scenario_.http, client.jar()), u.tls_,
           u.scenario_.http.timeout, u.stats_, vars),
        exec(client, u.stats_, vars, &ws),
        spec(u.spec_),
        identity(u.options_.identity) {
    vars.rng.seed(u.options_.seed);
    vars.values["user_id"] = std::to_string(u.options_.user_id);
    vars.values["iteration"] = "0";  // on_start: no task ran before it
    note_identity();
    if (spec.data && spec.data->mode != config::data_spec::order::unique) {
      // Sequential: user k of the whole test has row k-1 (modulo the rows), so no two users
      // share a row while there are enough of them.
      const auto& d = *spec.data;
      load_row(d.mode == config::data_spec::order::random
                   ? random_row()
                   : static_cast<std::size_t>((u.options_.user_id - 1) % d.rows.size()));
    }
    std::vector<int> weights;
    for (const auto& t : spec.tasks) weights.push_back(t.weight);
    pick = std::discrete_distribution<std::size_t>(weights.begin(), weights.end());
  }
  std::size_t random_row() {
    return std::uniform_int_distribution<std::size_t>(0, spec.data->rows.size() - 1)(vars.rng);
  }
  void load_row(std::size_t r) {
    const auto& d = *spec.data;
    for (std::size_t c = 0; c < d.columns.size(); ++c) vars.values[d.columns[c]] = d.rows[r][c];
  }
  /// ${worker_index} and ${worker_count}: the count changes as workers join and leave.
  void note_identity() {
    const worker_identity none;
    const worker_identity& w = identity ? *identity : none;
    if (w.index != noted.index || w.count != noted.count || !noted_once) {
      vars.values["worker_index"] = std::to_string(w.index);
      vars.values["worker_count"] = std::to_string(w.count);
      noted = w;
      noted_once = true;
    }
  }
  const config::task_spec& next_task() { return spec.tasks[pick(vars.rng)]; }

  user_variables vars;
  http::client client;
  websocket_steps ws;
  request_executor exec;
  const config::user_spec& spec;
  const worker_identity* identity;
  worker_identity noted;
  bool noted_once = false;
  bool row_fresh = false;  ///< a unique row taken and not yet used by a task
  std::discrete_distribution<std::size_t> pick;
  std::uint64_t iteration = 0;
};

bool user_runner::next_unique_row(session& s) {
  if (!spec_.data || spec_.data->mode != config::data_spec::order::unique) return true;
  if (s.row_fresh) return true;
  const auto row = take_unique_row(options_.rows.get(), stop_);
  if (!row) {
    ran_out_of_rows_ = !stop_.ready();
    return false;
  }
  s.load_row(*row);
  s.row_fresh = true;
  return true;
}

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
  s.row_fresh = false;
  s.note_identity();
  s.vars.values["iteration"] = std::to_string(s.iteration++);
  const bool go_on = run_steps(s, task.steps, intended, "a task");
  if (spec_.data && spec_.data->mode == config::data_spec::order::random)
    s.load_row(s.random_row());
  return go_on;
}

void user_runner::run_on_stop(session& s) {
  // on_stop runs even though the user was asked to stop; bounded, so a stuck target cannot
  // hold the end of the test.
  if (!spec_.on_stop.empty()) {
    s.vars.values["iteration"] = std::to_string(s.iteration);  // the tasks it ran
    green::with_timeout(scenario_.http.timeout, [&] {
      for (const auto& step : spec_.on_stop)
        if (!s.exec.run(step) && step.on_failure != config::failure_action::continue_task) break;
    });
  }
  s.ws.close();  // a WebSocket left open gets its closing handshake
}

void user_runner::run() {
  session s(*this);
  // A unique row is taken before on_start, which may use it, and then one per iteration.
  if (!next_unique_row(s)) return;
  if (!run_steps(s, spec_.on_start, std::nullopt, "on_start")) return run_on_stop(s);
  const auto& wait = spec_.wait;
  // Only a paced wait counts from the task's start.
  const bool paced = wait.type == config::wait_spec::kind::pacing ||
                     wait.type == config::wait_spec::kind::throughput;
  while (!stop_.ready()) {
    if (!next_unique_row(s)) break;
    const auto task_start = paced ? green::clock::now() : green::time_point{};
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

void user_runner::run_open(const std::function<void()>& idle) {
  session s(*this);
  // A unique row is taken before on_start, which may use it. Without an on_start, the row waits
  // for the user's first arrival: taken now, it would sit with an idle user of the pool (made
  // before the schedule, or for a burst) that may never get an arrival, counted as used and
  // kept from the users that do get arrivals (on another hub thread or worker, which then drop
  // theirs while rows are left).
  if (!spec_.on_start.empty() && !next_unique_row(s)) return;
  holds_unused_row_ = s.row_fresh;
  if (!run_steps(s, spec_.on_start, std::nullopt, "on_start")) return run_on_stop(s);
  while (!stop_.ready()) {
    const auto assigned = turns_.next(idle);
    if (!assigned) continue;  // woken to stop
    const green::time_point intended = *assigned;
    // The generator's own lag: how late this iteration starts against its schedule.
    const auto late =
        std::chrono::duration_cast<std::chrono::microseconds>(green::clock::now() - intended);
    stats_.lag().record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, late.count())), 0,
                        false);
    if (!next_unique_row(s)) {
      dropped_its_arrival_ = ran_out_of_rows_;
      break;
    }
    holds_unused_row_ = false;
    if (!run_task(s, s.next_task(), intended)) break;
  }
  run_on_stop(s);
}

}  // namespace swarmlet::worker
