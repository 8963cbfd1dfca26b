#include "load_plan.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace swarmlet::master {
namespace {

/// The spawn rates a spawn command may carry (as -r's range).
constexpr double min_spawn_rate = 1e-3;
constexpr double max_spawn_rate = 1e7;

/// k6's ramping-vus: from `from` to `to` users in `duration`, evenly.
double linear_rate(int from, int to, std::chrono::microseconds duration, double fallback) {
  const int change = std::abs(to - from);
  const double seconds = std::chrono::duration<double>(duration).count();
  if (change == 0) return fallback;  // nothing to start or stop: the rate is never used
  if (seconds <= 0) return max_spawn_rate;
  return std::clamp(change / seconds, min_spawn_rate, max_spawn_rate);
}

/// Each step's schedule ends where the next step begins, or at the test's end: an arrival due
/// there is the next plan's first, or none (it used to come twice at a stage's end, and once
/// more at the end of the test, where the stop raced it). The next plan's phase goes on from
/// where the step's arrivals were.
void join_arrival_steps(load_plan& p) {
  for (std::size_t i = 0; i < p.steps.size(); ++i) {
    auto& plan = *p.steps[i].arrival;
    std::optional<std::chrono::microseconds> ends = p.end;
    if (i + 1 < p.steps.size())
      ends = std::min(p.steps[i + 1].at, p.end.value_or(std::chrono::microseconds::max()));
    if (ends) plan.until = std::max(std::chrono::microseconds(0), *ends - p.steps[i].at);
    if (i > 0) {
      const auto& before = *p.steps[i - 1].arrival;
      plan.phase = before.after(p.steps[i].at - p.steps[i - 1].at).phase;
    }
  }
}

}  // namespace

load_plan plan_load(const config::load_spec& load) {
  load_plan p;
  if (load.arrival) {
    const int max_users = load.arrival->max_users;
    if (load.stages.empty()) {
      p.steps.push_back({std::chrono::microseconds(0), max_users, 1, load.arrival->plan()});
      p.end = load.run_time;
      join_arrival_steps(p);
      return p;
    }
    // As k6's ramping arrival rate: from the start rate, each stage ramps linearly to its rate;
    // a stage of 0 s steps to it (a last one held it at the rate before, and a pause written as
    // {0s, 0} then went on at the old rate: review).
    std::chrono::microseconds at{0};
    double from = load.arrival->rate;
    for (const auto& s : load.stages) {
      const double start = s.duration.count() > 0 ? from : s.rate;
      p.steps.push_back(
          {at, max_users, 1, config::arrival_plan{start, s.rate, s.duration, max_users}});
      from = s.rate;
      at += s.duration;
    }
    p.end = load.run_time ? load.run_time : std::optional<std::chrono::microseconds>(at);
    join_arrival_steps(p);
    return p;
  }
  if (load.stages.empty()) {
    p.steps.push_back({std::chrono::microseconds(0), load.users, load.spawn_rate});
    p.end = load.run_time;
    return p;
  }
  std::chrono::microseconds at{0};
  int previous_users = 0;
  double previous_rate = 1;
  for (const auto& s : load.stages) {
    const double rate = s.spawn_rate > 0
                            ? s.spawn_rate
                            : linear_rate(previous_users, s.users, s.duration, previous_rate);
    p.steps.push_back({at, s.users, rate});
    previous_users = s.users;
    previous_rate = rate;
    at += s.duration;
  }
  p.end = load.run_time ? load.run_time : std::optional<std::chrono::microseconds>(at);
  return p;
}

int users_at(const load_plan& plan, std::chrono::microseconds t) {
  int users = 0;
  for (std::size_t i = 0; i < plan.steps.size(); ++i) {
    const auto& step = plan.steps[i];
    if (t < step.at) break;
    if (step.arrival) {
      users = step.users;
      continue;
    }
    // Changes due in [step.at, t], or in [step.at, next step) when the next one has begun.
    const bool cut = i + 1 < plan.steps.size() && plan.steps[i + 1].at <= t;
    const double seconds =
        std::chrono::duration<double>((cut ? plan.steps[i + 1].at : t) - step.at).count();
    const double due = seconds * step.spawn_rate;
    // The worker makes change k (from 0) at k / rate: floor(due) + 1 of them by t, and
    // ceil(due) before a time it does not reach.
    const long long changes =
        cut ? static_cast<long long>(std::ceil(due)) : static_cast<long long>(std::floor(due)) + 1;
    const long long gap = std::llabs(static_cast<long long>(step.users) - users);
    const long long made = std::min(changes, gap);
    users += static_cast<int>(step.users > users ? made : -made);
  }
  return users;
}

}  // namespace swarmlet::master
