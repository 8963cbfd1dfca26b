#include "script_user.hpp"

#include <random>

#include "client_settings.hpp"
#include "common/config/duration.hpp"
#include "common/green/operations.hpp"
#include "common/green/timeout.hpp"
#include "common/script/scripted_user.hpp"

namespace swarmlet::worker {

script_user::script_user(const config::scenario& scenario, const config::user_spec& spec,
                         script::engine& engine, const script::user_class& cls,
                         std::shared_ptr<green::tls_context> tls, user_options options)
    : scenario_(scenario),
      spec_(spec),
      engine_(engine),
      class_(cls),
      tls_(std::move(tls)),
      options_(options),
      rng_(options.seed) {}

void script_user::stop() {
  if (!stop_.ready()) stop_.send();
  turns_.wake();  // an idle open-model user wakes to leave
}

bool script_user::stop_if_rowless() {
  if (row_fresh_) return false;
  ran_out_of_rows_ = true;
  stop();
  return true;
}

bool script_user::take_row() {
  const auto row = take_unique_row(options_.rows.get(), stop_);
  if (!row) {
    ran_out_of_rows_ = !stop_.ready();
    return false;
  }
  const auto& d = *spec_.data;
  for (std::size_t c = 0; c < d.columns.size(); ++c) row_[d.columns[c]] = d.rows[*row][c];
  row_fresh_ = true;
  return true;
}

bool script_user::next_unique_row(script::scripted_user& u) {
  if (!spec_.data || spec_.data->mode != config::data_spec::order::unique) return true;
  if (row_fresh_) {
    row_fresh_ = false;
    return true;
  }
  if (!take_row()) return false;
  row_fresh_ = false;
  u.set_vars(row_);
  return true;
}

std::map<std::string, std::string> script_user::row_at(std::size_t r) const {
  const auto& d = *spec_.data;
  std::map<std::string, std::string> vars;
  for (std::size_t c = 0; c < d.columns.size(); ++c) vars[d.columns[c]] = d.rows[r][c];
  return vars;
}

std::size_t script_user::random_row() {
  return std::uniform_int_distribution<std::size_t>(0, spec_.data->rows.size() - 1)(rng_);
}

void script_user::next_random_row(script::scripted_user& u) {
  if (!spec_.data || spec_.data->mode != config::data_spec::order::random ||
      spec_.data->rows.empty())
    return;
  u.set_vars(row_at(random_row()));
}

std::optional<script::user_settings> script_user::settings(bool unique_row_now) {
  script::user_settings settings;
  settings.id = options_.user_id;
  if (spec_.data && spec_.data->mode == config::data_spec::order::unique) {
    // A unique row is taken before on_start, which may use it, and then one per task.
    if (unique_row_now) {
      if (!take_row()) return std::nullopt;
      settings.vars = row_;
    }
  } else if (spec_.data && !spec_.data->rows.empty()) {
    const auto& d = *spec_.data;
    settings.vars = row_at(
        d.mode == config::data_spec::order::random
            ? random_row()
            : static_cast<std::size_t>((options_.user_id - 1) % d.rows.size()));  // user k: row k-1
  }
  settings.target = scenario_.target;
  settings.client = client_options_of(scenario_.http);
  settings.tls = tls_;
  settings.stop = [this] { stop(); };
  settings.stopping = &stop_;
  settings.stats = options_.stats;
  settings.exceptions = options_.exceptions;
  return settings;
}

std::optional<std::chrono::microseconds> script_user::pause_after(script::scripted_user& u,
                                                                  green::time_point task_start) {
  using std::chrono::microseconds;
  const auto& wait = spec_.wait;
  switch (wait.type) {
    case config::wait_spec::kind::none: {
      const auto own = u.class_wait();
      if (own.failed) return std::nullopt;
      if (own.pause) return std::chrono::duration_cast<microseconds>(*own.pause);
      return microseconds(0);
    }
    case config::wait_spec::kind::constant:
      return wait.a;
    case config::wait_spec::kind::between:
      return microseconds(
          std::uniform_int_distribution<std::int64_t>(wait.a.count(), wait.b.count())(rng_));
    case config::wait_spec::kind::pacing:
    case config::wait_spec::kind::throughput: {
      const auto period = wait.type == config::wait_spec::kind::pacing
                              ? wait.a
                              : microseconds(static_cast<std::int64_t>(1e6 / wait.per_second));
      return period - std::chrono::duration_cast<microseconds>(green::clock::now() - task_start);
    }
  }
  return microseconds(0);
}

void script_user::run() {
  auto settings = this->settings(true);
  if (!settings) return;
  script::scripted_user u(engine_, class_, std::move(*settings));
  if (!u.start()) {  // an error in on_start stops the user (it is recorded)
    u.end_spawned_threads();
    return;
  }
  while (!stop_.ready()) {
    if (!next_unique_row(u)) break;
    // Only a paced wait counts from the task's start.
    const bool paced = spec_.wait.type == config::wait_spec::kind::pacing ||
                       spec_.wait.type == config::wait_spec::kind::throughput;
    const auto task_start = paced ? green::clock::now() : green::time_point{};
    u.run_task(u.pick_task(rng_));
    if (stop_.ready()) break;
    next_random_row(u);
    const auto pause = pause_after(u, task_start);
    if (!pause) break;  // the class's wait failed (counted): the user stops
    if (pause->count() <= 0) {
      green::yield();  // never starve the other users of this hub
    } else if (stop_.wait_for(*pause)) {
      break;
    }
  }
  // on_stop runs even though the user was asked to stop; bounded, so a stuck target cannot
  // hold the end of the test.
  finish(u);
}

void script_user::finish(script::scripted_user& u) {
  u.end_spawned_threads();  // bounded by the request timeout, not on_stop's bound
  // Past the bound, the script's error says which bound (it said "timed out").
  green::with_timeout(scenario_.http.timeout,
                      "on_stop did not end within " +
                          config::format_duration(scenario_.http.timeout) +
                          " (http.timeout bounds it)",
                      [&] { u.finish(); });
}

void script_user::run_open(const std::function<void()>& idle) {
  // Without an on_start, the row waits for the first arrival, as a YAML user's does
  // (user_runner::run_open): an idle user of the pool held one, counted as used.
  auto settings = this->settings(class_.on_start != LUA_NOREF);
  if (!settings) return;
  script::scripted_user u(engine_, class_, std::move(*settings));
  if (!u.start()) {
    u.end_spawned_threads();
    return;
  }
  while (!stop_.ready()) {
    const auto intended = turns_.next(idle);
    if (!intended) continue;  // woken to stop
    // The generator's own lag: how late this iteration starts against its schedule.
    const auto late =
        std::chrono::duration_cast<std::chrono::microseconds>(green::clock::now() - *intended);
    if (stats::stats_table* table = u.stats())
      table->lag().record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, late.count())), 0,
                          false);
    if (!next_unique_row(u)) {
      dropped_its_arrival_ = ran_out_of_rows_;
      break;
    }
    u.run_task(u.pick_task(rng_), *intended);
    next_random_row(u);
  }
  finish(u);
}

}  // namespace swarmlet::worker
