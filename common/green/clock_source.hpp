#pragma once
// Where code that decides by the time (heartbeats, timeouts, "missing after three beats") reads
// it and waits for it: the hub's monotonic clock in production, a manual clock in tests, so the
// same decisions are tested step by step without waiting for real seconds.
#include "clock.hpp"
#include "event.hpp"

namespace swarmlet::green {

class clock_source {
 public:
  virtual ~clock_source() = default;
  /// The time now, on a monotonic clock.
  virtual time_point now() const = 0;
  /// Parks the calling green thread until `when` (returns at once when it passed).
  /// Throws what is injected meanwhile (green_exit).
  virtual void sleep_until(time_point when) = 0;
  /// Parks until `e` is sent (true) or `until` passes (false). Rethrows what `e` carries.
  virtual bool wait_until(event<>& e, time_point until) = 0;

  void sleep_for(duration d) { sleep_until(now() + d); }
};

/// The hub's clock: green::clock and the hub's timers.
class hub_clock final : public clock_source {
 public:
  time_point now() const override { return clock::now(); }
  void sleep_until(time_point when) override;
  bool wait_until(event<>& e, time_point until) override;
};

/// A stateless hub_clock to share.
clock_source& real_time();

}  // namespace swarmlet::green
