#pragma once
// The open model's plan (k6's constant and ramping arrival rates) as one value: the rate now,
// the rate a ramp ends at, how long the ramp lasts, and the user budget. The master derives it
// from the scenario's load, shares it among workers, a worker among its hub threads, and each
// hub thread turns its share into intended start times. Pure: no clock, no I/O.
#include <chrono>
#include <cstdint>
#include <optional>

namespace swarmlet::config {

struct arrival_plan {
  double rate = 0;     ///< iterations per second at the start
  double rate_to = 0;  ///< iterations per second at the ramp's end and after it (with a ramp)
  std::chrono::microseconds ramp{0};  ///< the rate goes linearly to rate_to; none: stays at rate
  int max_users = 0;  ///< users that may exist at once; an arrival with none idle is dropped
  /// Where the plan's arrivals fall: arrival k is due where the rate's integral reaches
  /// k + phase, in [0, 1). Shares of one plan take different phases, so that together they
  /// interleave as the plan's own arrivals would, rather than all arrive at once (see share()).
  double phase = 0;
  /// Where the schedule ends, from its start: no arrival is due at or after it (the next
  /// stage's plan, or the test's end, comes then). None: until another plan or the stop.
  std::optional<std::chrono::microseconds> until = std::nullopt;

  /// A constant rate: `rate` iterations per second from the start on.
  static arrival_plan constant(double rate, int max_users) noexcept {
    return {rate, rate, std::chrono::microseconds(0), max_users, 0, std::nullopt};
  }
  /// The rate the plan settles at: rate_to after a ramp, rate without one.
  double final_rate() const noexcept { return ramp.count() > 0 ? rate_to : rate; }
  /// Whether any arrival is due at all (false for the all-zero plan that ends a schedule).
  bool has_arrivals() const noexcept { return rate > 0 || final_rate() > 0; }
  /// The rate `elapsed` after the start: linear along the ramp, then the final rate.
  double rate_at(std::chrono::microseconds elapsed) const noexcept;
  /// What is left of the plan `elapsed` after its start, as a plan that starts then: the rate
  /// reached, the same end rate, the rest of the ramp, the phase of the arrivals still due (none
  /// is due twice, none is skipped), and the rest of the time to `until`.
  arrival_plan after(std::chrono::microseconds elapsed) const noexcept;
  /// The share of `part` generators out of `whole` (weights such as hub threads) that come
  /// after `first` others: both rates times part / whole, and `users` of the budget (at least 1,
  /// so an arrival can ever run). Its phase puts its arrivals among the others' shares': of
  /// `whole` equal shares, share i takes the plan's arrivals i, i + whole, i + 2 whole...
  arrival_plan share(int first, int part, int whole, int users) const noexcept;

  /// Seconds from the start at which arrival `k` (0, 1, 2...) is due; none when the rate runs
  /// down to 0 before it, or when it falls at or after `until`. The number of arrivals by time t is
  /// the integral of the rate up to t, so arrival k is due where that integral reaches k + phase.
  std::optional<double> offset_s(std::uint64_t k) const noexcept;
  /// How many arrivals are due by `elapsed` after the start (with phase 0: 1 at 0, and 0 before
  /// it): the inverse of offset_s.
  std::uint64_t arrivals_by(std::chrono::microseconds elapsed) const noexcept;
  /// The integral of the rate from the start to `elapsed`: how many of the plan's arrival
  /// intervals have passed by then.
  double integral_to(std::chrono::microseconds elapsed) const noexcept;

  bool operator==(const arrival_plan&) const = default;

 private:
  /// offset_s(k) as if the schedule had no end.
  std::optional<double> offset_without_end(std::uint64_t k) const noexcept;
};

}  // namespace swarmlet::config
