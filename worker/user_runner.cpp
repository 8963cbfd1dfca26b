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
}

bool user_runner::wait_for(std::chrono::microseconds d) {
  if (stop_.ready()) return false;
  if (d.count() <= 0) {
    green::yield();  // never starve the other users of this hub
    return !stop_.ready();
  }
  return !stop_.wait_for(d).has_value();
}

void user_runner::run() {
  std::string error;
  http::client_options copts;
  copts.connect_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(scenario_.http.connect_timeout);
  copts.read_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(scenario_.http.timeout);
  copts.verify_tls = scenario_.http.verify_tls;
  copts.max_redirects = scenario_.http.max_redirects;
  http::client client(*http::parse_url(scenario_.target, error), copts, tls_);

  user_variables vars;
  vars.rng.seed(options_.seed);
  vars.values["user_id"] = std::to_string(options_.user_id);
  std::size_t row = options_.data_row;
  auto load_data_row = [&] {
    if (!spec_.data) return;
    const auto& d = *spec_.data;
    const std::size_t r = d.mode == config::data_spec::order::random
                              ? std::uniform_int_distribution<std::size_t>(0, d.rows.size() - 1)(vars.rng)
                              : row++ % d.rows.size();
    for (std::size_t c = 0; c < d.columns.size(); ++c) vars.values[d.columns[c]] = d.rows[r][c];
  };
  load_data_row();
  request_executor exec(client, stats_, vars);

  for (const auto& step : spec_.on_start) {
    if (stop_.ready()) break;
    exec.run(step);
  }
  std::vector<int> weights;
  for (const auto& t : spec_.tasks) weights.push_back(t.weight);
  std::discrete_distribution<std::size_t> pick(weights.begin(), weights.end());
  std::uint64_t iteration = 0;
  const auto& wait = spec_.wait;
  while (!stop_.ready()) {
    const auto task_start = green::clock::now();
    vars.values["iteration"] = std::to_string(iteration++);
    const auto& task = spec_.tasks[pick(vars.rng)];
    for (const auto& step : task.steps) {
      if (stop_.ready()) break;
      exec.run(step);
    }
    if (spec_.data && spec_.data->mode == config::data_spec::order::random) load_data_row();
    std::chrono::microseconds pause{0};
    switch (wait.type) {
      case config::wait_spec::kind::none:
        break;
      case config::wait_spec::kind::constant:
        pause = wait.a;
        break;
      case config::wait_spec::kind::between:
        pause = std::chrono::microseconds(
            std::uniform_int_distribution<std::int64_t>(wait.a.count(), wait.b.count())(vars.rng));
        break;
      case config::wait_spec::kind::pacing:
      case config::wait_spec::kind::throughput: {
        const auto period = wait.type == config::wait_spec::kind::pacing
                                ? wait.a
                                : std::chrono::microseconds(static_cast<std::int64_t>(1e6 / wait.per_second));
        const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(green::clock::now() - task_start);
        pause = period - elapsed;
        break;
      }
    }
    if (!wait_for(pause)) break;
  }
  // on_stop runs even though the user was asked to stop; bounded, so a stuck target cannot
  // hold the end of the test.
  if (!spec_.on_stop.empty()) {
    green::with_timeout(scenario_.http.timeout, [&] {
      for (const auto& step : spec_.on_stop) exec.run(step);
    });
  }
}

}  // namespace swarmlet::worker
