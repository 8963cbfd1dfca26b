#pragma once
// A clock that moves only when told (tests): sleepers wake in deadline order as advance()
// passes their deadlines, and every green thread made ready on the way runs before time moves
// on, so a test reads as a timeline ("three beats pass; the worker is missing").
#include <map>

#include "clock_source.hpp"

namespace swarmlet::green {

class thread_record;

class manual_clock final : public clock_source {
 public:
  /// Starts at an arbitrary but fixed point (not zero: code may subtract durations from now()).
  manual_clock() = default;
  /// Must outlive every green thread parked on it: throws nothing, but aborts (a test bug)
  /// when one is still parked.
  ~manual_clock();
  manual_clock(const manual_clock&) = delete;
  manual_clock& operator=(const manual_clock&) = delete;

  time_point now() const override { return now_; }
  void sleep_until(time_point when) override;
  bool wait_until(event<>& e, time_point until) override;

  /// Moves time forward by `d`: wakes every sleeper whose deadline passes, earliest first, with
  /// now() at its deadline, and lets every green thread that became ready run after each.
  /// Call it from a green thread (or the hub's original context) of the same hub.
  void advance(duration d);
  /// Lets every ready green thread run until none is; time does not move. It sees only threads
  /// already ready: one waiting for I/O, a real timer or another OS thread is not waited for.
  static void settle();
  /// Green threads parked on this clock.
  std::size_t sleepers() const noexcept { return sleepers_.size(); }

 private:
  /// Thrown at a sleeper's park point when its deadline passes.
  struct expired {};
  struct sleeper {
    thread_record* thread;
    bool woken = false;  ///< advance() took it out of sleepers_
  };
  time_point now_ = time_point{} + std::chrono::hours(1);
  std::multimap<time_point, sleeper*> sleepers_;
};

}  // namespace swarmlet::green
