#include "load_plan.hpp"

namespace swarmlet::master {

load_plan plan_load(const config::load_spec& load) {
  load_plan p;
  if (load.arrival) {
    const int max_users = load.arrival->max_users;
    if (load.stages.empty()) {
      p.steps.push_back({std::chrono::microseconds(0), max_users, 1, load.arrival->plan()});
      p.end = load.run_time;
      return p;
    }
    // As k6's ramping arrival rate: from the start rate, each stage ramps linearly to its rate.
    std::chrono::microseconds at{0};
    double from = load.arrival->rate;
    for (const auto& s : load.stages) {
      p.steps.push_back(
          {at, max_users, 1, config::arrival_plan{from, s.rate, s.duration, max_users}});
      from = s.rate;
      at += s.duration;
    }
    p.end = load.run_time ? load.run_time : std::optional<std::chrono::microseconds>(at);
    return p;
  }
  if (load.stages.empty()) {
    p.steps.push_back({std::chrono::microseconds(0), load.users, load.spawn_rate});
    p.end = load.run_time;
    return p;
  }
  std::chrono::microseconds at{0};
  double rate = load.spawn_rate;
  for (const auto& s : load.stages) {
    if (s.spawn_rate > 0) rate = s.spawn_rate;
    p.steps.push_back({at, s.users, rate});
    at += s.duration;
  }
  p.end = load.run_time ? load.run_time : std::optional<std::chrono::microseconds>(at);
  return p;
}

}  // namespace swarmlet::master
