#pragma once
// The open model's plan (k6's constant and ramping arrival rates) as one value: the rate now,
// the rate a ramp ends at, how long the ramp lasts, the user budget, where its arrivals fall and
// where it ends. The master derives it from the scenario's load and sends it whole to every
// worker, with the worker's places among the test's hub threads; a worker gives each of its
// threads its share, and each thread turns its share into intended start times. Pure: no clock,
// no I/O.
#include <chrono>
#include <cstdint>
#include <optional>

namespace swarmlet::config {

struct arrival_plan {
  double rate = 0;     ///< iterations per second at the start
  double rate_to = 0;  ///< iterations per second at the ramp's end and after it (with a ramp)
  std::chrono::microseconds ramp{0};  ///< the rate goes linearly to rate_to; none: stays at rate
  int max_users = 0;  ///< users that may exist at once; an arrival with none idle is dropped
  /// Where the plan's arrivals fall: arrival g is due where the rate's integral reaches
  /// g + phase, in [0, 1) (a plan that goes on from another one's arrivals: after()).
  double phase = 0;
  /// Where the schedule ends, from its start: no arrival is due at or after it (the next
  /// stage's plan, or the test's end, comes then). None: until another plan or the stop.
  std::optional<std::chrono::microseconds> until = std::nullopt;
  /// A share of the plan (share()) takes, of every `all_places` arrivals of the plan, the
  /// `places` from `first_place` on. The whole plan: 1 place of 1.
  int first_place = 0;
  int places = 1;
  int all_places = 1;

  /// A constant rate: `rate` iterations per second from the start on.
  static arrival_plan constant(double rate, int max_users) noexcept {
    arrival_plan p;
    p.rate = p.rate_to = rate;
    p.max_users = max_users;
    return p;
  }
  /// The rate the plan settles at: rate_to after a ramp, rate without one.
  double final_rate() const noexcept { return ramp.count() > 0 ? rate_to : rate; }
  /// Whether any arrival is due at all (false for a stage at rate 0 and for the all-zero plan
  /// that ends a schedule: both leave the users idle until another plan).
  bool has_arrivals() const noexcept { return rate > 0 || final_rate() > 0; }
  /// The rate `elapsed` after the start: linear along the ramp, then the final rate.
  double rate_at(std::chrono::microseconds elapsed) const noexcept;
  /// What is left of a whole plan (not a share) `elapsed` after its start, as a plan that
  /// starts then: the rate reached, the same end rate, the rest of the ramp, the phase of the
  /// arrivals still due (none is due twice, none is skipped), and the rest of the time to
  /// `until`.
  arrival_plan after(std::chrono::microseconds elapsed) const noexcept;
  /// The share of a whole plan that takes `part` of every `whole` arrivals, from the `first`
  /// (places such as the test's hub threads: hub thread i of n takes the plan's arrivals i,
  /// i + n, i + 2n...), with `users` of the budget (at least 1, so an arrival can ever run).
  /// Together, the shares of one plan are the plan's own arrivals, each once (as k6's execution
  /// segments): shares that each scaled the rate and started with an arrival at 0 arrived
  /// together, n at a time.
  arrival_plan share(int first, int part, int whole, int users) const noexcept;

  /// Seconds from the start at which arrival `k` (0, 1, 2...) of this plan or share is due;
  /// none when the rate runs down to 0 before it, or when it falls at or after `until` (or
  /// within a billionth of an arrival interval before it: see plan_arrivals_before).
  /// The plan's arrival g is due where the integral of the rate reaches g + phase.
  std::optional<double> offset_s(std::uint64_t k) const noexcept;
  /// How many of this plan's or share's arrivals are due by `elapsed` after the start (for a
  /// whole plan with phase 0: 1 at 0, and 0 before it): the inverse of offset_s, but for an
  /// arrival due within rounding of `elapsed`, which either may count.
  std::uint64_t arrivals_by(std::chrono::microseconds elapsed) const noexcept;
  /// The integral of the rate from the start to `elapsed`: how many of the plan's arrival
  /// intervals have passed by then.
  double integral_to(std::chrono::microseconds elapsed) const noexcept;

  bool operator==(const arrival_plan&) const = default;

 private:
  /// The whole plan's index of this share's arrival k.
  std::uint64_t plan_index(std::uint64_t k) const noexcept;
  /// How many of the whole plan's arrivals fall before the point where the integral is
  /// `integral` (one within a billionth of an interval of it counts as at it, not before: a
  /// stage's end and the next stage's phase decide alike, and the test's end is not raced).
  std::uint64_t plan_arrivals_before(double integral) const noexcept;
  /// How many of this share's arrivals are among the plan's first `n`.
  std::uint64_t share_of_first(std::uint64_t n) const noexcept;
  /// Seconds from the start to the whole plan's arrival g, as if the schedule had no end.
  std::optional<double> plan_offset_s(std::uint64_t g) const noexcept;
};

}  // namespace swarmlet::config
