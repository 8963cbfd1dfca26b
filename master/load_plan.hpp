#pragma once
// The load shape as a pure function of the scenario: when to ask for how many users, at what
// spawn rate, and when the test ends.
#include <chrono>
#include <optional>
#include <vector>

#include "common/config/scenario.hpp"

namespace swarmlet::master {

struct load_step {
  std::chrono::microseconds at{0};  ///< since the test started
  int users = 0;
  double spawn_rate = 1;
  double arrival_rate = 0;            ///< the open model when > 0 (users then means max_users)
  double arrival_rate_to = 0;         ///< the open model: the rate at the step's end
  std::chrono::microseconds ramp{0};  ///< ...reached linearly over this long
};

struct load_plan {
  std::vector<load_step> steps;                  ///< in time order, the first at 0
  std::optional<std::chrono::microseconds> end;  ///< none: run until stopped
};

/// Stages, when present, drive the plan (their durations add up to the run time, unless
/// run_time is set too, which then ends the test); otherwise one step of users at spawn_rate.
load_plan plan_load(const config::load_spec& load);

}  // namespace swarmlet::master
