#pragma once
// How many users the open model may have on one hub thread, from how many it needed lately:
// twice the median of the busy users counted over the last window, and never fewer than it
// made up front. A target slower than the rate keeps every user busy, so the limit doubles each
// window until users keep up with the rate. A stall of the host or of the target keeps them
// all busy too, but only for a few milliseconds: if that (with the backlog it leaves) is less
// than half the window, the median does not move, and the backlog waits for the users there
// are, who clear it once the stall ends. A window's median taken with the window before's (the
// smaller) would hold through stalls twice as long, but it took a slow target twice as long to
// get its users: at 30,000/s on a 30 ms target, lag p99 69-84 ms over 6 s against 43-56
// (bench/README.md, session 21). Users made for
// it would stay, each with its own connection and stack, and at 190,000 arrivals/s a hub with
// 200-odd users ran late more often than one with 64 (bench/README.md, session 20).
#include <vector>

#include "common/green/clock.hpp"

namespace swarmlet::worker {

class user_growth_limit {
 public:
  /// How often busy users are counted, and over how long the median is taken.
  static constexpr green::duration sample_gap = std::chrono::microseconds(100);
  static constexpr green::duration window = std::chrono::milliseconds(10);

  /// `floor`: the users made before the schedule; the limit is never below it.
  explicit user_growth_limit(int floor) noexcept : floor_(floor), limit_(floor) {}

  /// Starts counting at `now`, with the limit at the users there are (at least the floor): a
  /// new plan keeps the users of the last one.
  void restart(green::time_point now, int users);
  /// `busy` users were busy at `now`: counted unless the last count is under sample_gap old;
  /// a window's last count sets the limit for the next.
  void note(green::time_point now, int busy);
  int limit() const noexcept { return limit_; }

 private:
  int floor_;
  int limit_;
  std::vector<int> busy_;  // this window's counts
  green::time_point window_start_{};
  green::time_point last_count_{};
};

}  // namespace swarmlet::worker
