#pragma once
// Pure decisions of the spawner, apart from its I/O: which user class to start or stop next,
// and how many starts are due at a given time for a steady rate. (The open model's schedule is
// config::arrival_plan's, run by arrival_scheduler.)
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace swarmlet::worker {

/// The class whose count is furthest below its target, relative to the target (so classes fill
/// in proportion, as Locust interleaves them); none when every class is at or above target.
std::optional<std::string> next_class_to_start(const std::map<std::string, int>& current,
                                               const std::map<std::string, int>& target);
/// The class furthest above its target; none when none is above.
std::optional<std::string> next_class_to_stop(const std::map<std::string, int>& current,
                                              const std::map<std::string, int>& target);
/// How many changes are due `elapsed` after a ramp began at `rate` per second (the first at 0).
std::int64_t changes_due(std::chrono::steady_clock::duration elapsed, double rate);

}  // namespace swarmlet::worker
