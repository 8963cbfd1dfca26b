#pragma once
// The load shape as a pure function of the scenario: when to ask for how many users, at what
// spawn rate, and when the test ends.
#include <chrono>
#include <optional>
#include <vector>

#include "common/config/arrival_plan.hpp"
#include "common/config/scenario.hpp"

namespace swarmlet::master {

struct load_step {
  std::chrono::microseconds at{0};  ///< since the test started
  int users = 0;
  double spawn_rate = 1;
  /// The open model when set: the plan from this step on (users then means its max_users).
  std::optional<config::arrival_plan> arrival = std::nullopt;
};

struct load_plan {
  std::vector<load_step> steps;                  ///< in time order, the first at 0
  std::optional<std::chrono::microseconds> end;  ///< none: run until stopped
};

/// Stages, when present, drive the plan (their durations add up to the run time, unless
/// run_time is set too, which then ends the test); otherwise one step of users at spawn_rate.
/// A stage with its own spawn_rate moves at that rate; one without ramps linearly over its
/// duration (k6's ramping-vus): from the previous stage's users (0 before the first) to its
/// own, at (difference / duration) users per second. load.spawn_rate does not apply to stages.
/// The open model's stages ramp their rates linearly (k6's ramping arrival rate).
load_plan plan_load(const config::load_spec& load);

/// The users the closed model's `plan` has running `t` after the start, as a worker following
/// it starts and stops them: each step moves from where the previous one left the count toward
/// its users, one change every 1 / spawn_rate seconds, the first at the step's start (as the
/// worker's spawner does). The open model's steps count their max_users at once.
int users_at(const load_plan& plan, std::chrono::microseconds t);

}  // namespace swarmlet::master
