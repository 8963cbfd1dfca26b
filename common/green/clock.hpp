#pragma once
#include <chrono>
#include <optional>

namespace swarmlet::green {

/// Every duration in the hub is measured on the monotonic clock.
using clock = std::chrono::steady_clock;
using time_point = clock::time_point;
using duration = clock::duration;

/// A deadline that may be absent (block without limit).
using deadline = std::optional<time_point>;

/// The deadline `d` from now, or none when `d` is none.
inline deadline deadline_after(std::optional<duration> d) {
  if (!d) return std::nullopt;
  return clock::now() + *d;
}

}  // namespace swarmlet::green
