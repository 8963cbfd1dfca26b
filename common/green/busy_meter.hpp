#pragma once
// How busy a hub's OS thread is: the CPU the thread used between two readings, and the longest
// turn its loop took without polling (green threads running without parking), with how much of
// that turn the thread ran itself (the rest: the OS or the host gave it no CPU). A response that
// arrives during such a turn waits in its socket until the next poll: response times measured
// on the hub include it (gevent's monitor warns of a greenlet blocking the loop for 0.1 s).
// The loop tells the meter when each wait for I/O begins and ends, with the clock readings it
// takes anyway; the thread's CPU clock (a system call) is read at most every
// cpu_reading_interval, at the end of a turn long enough to matter, and at take().
#include <time.h>

#include <chrono>

#include "clock.hpp"

namespace swarmlet::green {

/// What a busy_meter saw between two take()s.
struct busy_reading {
  /// The thread's CPU over the last window of at least busy_meter::cpu_window (100: it ran all
  /// the time); 0 before the first window ends.
  double cpu_percent = 0;
  /// The longest turn the thread surely ran itself without polling, at most
  /// busy_meter::cpu_reading_interval short of it (its CPU in the turn, a lower bound).
  duration longest_turn_cpu{};
  /// How long that turn lasted (wall time).
  duration longest_turn{};
};

class busy_meter {
 public:
  /// How often, at most, the end of a wait reads the thread's CPU clock: also how much a
  /// turn's CPU may be under-counted.
  static constexpr duration cpu_reading_interval = std::chrono::milliseconds(10);
  /// Turns shorter than this are not looked at (no CPU reading for them).
  static constexpr duration notable_turn = std::chrono::milliseconds(20);
  /// The CPU percentage is taken over windows at least this long (short ones are noise).
  static constexpr duration cpu_window = std::chrono::seconds(1);

  /// Meters the calling thread (its CPU clock is taken now).
  busy_meter() noexcept;

  /// The loop is about to wait for I/O at `now`: the turn since the last wait ends.
  void wait_begins(time_point now) noexcept {
    if (turn_began_ == time_point{}) return;  // no wait yet: the loop was not running
    const duration turn = now - turn_began_;
    if (turn < notable_turn || turn <= longest_turn_cpu_) [[likely]]
      return;
    note_long_turn(now, turn);
  }
  /// The loop's wait for I/O ended at `now`: a turn begins.
  void wait_ended(time_point now) noexcept {
    turn_began_ = now;
    if (now - cpu_read_at_ >= cpu_reading_interval) [[unlikely]]
      read_cpu(now);
  }
  /// What was seen since the last take() (then forgotten, but for the CPU window, which goes
  /// on). Any thread may call it while the metered thread does not run the loop (the hub's own
  /// thread, from a call it runs).
  busy_reading take(time_point now) noexcept;

 private:
  void note_long_turn(time_point now, duration turn) noexcept;
  void read_cpu(time_point now) noexcept;
  duration cpu_now() const noexcept;

  clockid_t cpu_clock_;
  bool has_cpu_clock_ = false;
  time_point turn_began_{};
  time_point cpu_read_at_{};  ///< at or before turn_began_, by less than cpu_reading_interval
  duration cpu_at_read_{};
  duration longest_turn_cpu_{};
  duration longest_turn_{};
  time_point window_began_{};
  duration window_cpu_{};
  double cpu_percent_ = 0;
};

}  // namespace swarmlet::green
