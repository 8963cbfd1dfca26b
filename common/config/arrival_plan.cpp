#include "arrival_plan.hpp"

#include <algorithm>
#include <cmath>

namespace swarmlet::config {

double arrival_plan::rate_at(std::chrono::microseconds elapsed) const noexcept {
  if (ramp.count() <= 0) return rate;
  const double done = std::clamp(
      static_cast<double>(elapsed.count()) / static_cast<double>(ramp.count()), 0.0, 1.0);
  return rate + (rate_to - rate) * done;
}

namespace {

/// x's fractional part, in [0, 1) also for negative x.
double fraction(double x) noexcept {
  const double f = x - std::floor(x);
  return f < 1 ? f : 0;
}

}  // namespace

arrival_plan arrival_plan::after(std::chrono::microseconds elapsed) const noexcept {
  arrival_plan rest = *this;
  // The arrivals still due are those where the integral from the start reaches k + phase past
  // the part already run; counted from `elapsed`, they fall at k + phase - that part.
  rest.phase = fraction(phase - integral_to(elapsed));
  if (until) rest.until = std::max(std::chrono::microseconds(0), *until - elapsed);
  if (ramp.count() <= 0) return rest;
  rest.rate = rate_at(elapsed);
  rest.ramp = std::max(std::chrono::microseconds(0), ramp - elapsed);
  return rest;
}

arrival_plan arrival_plan::share(int first, int part, int whole, int users) const noexcept {
  arrival_plan p = *this;
  p.rate = rate * part / whole;
  p.rate_to = rate_to * part / whole;
  p.max_users = std::max(1, users);
  // Measured in the share's arrivals, the plan's arrival j falls at (j + phase) * part / whole.
  // The shares before this one take the first `first` / `whole` of each of the plan's arrival
  // intervals, spread over `whole` of them: this one starts where they end.
  const double f = static_cast<double>(part) / whole;
  p.phase = fraction(static_cast<double>(first) / whole + f * phase);
  return p;
}

double arrival_plan::integral_to(std::chrono::microseconds elapsed) const noexcept {
  const double t = std::chrono::duration<double>(elapsed).count();
  const double ramp_s = std::chrono::duration<double>(ramp).count();
  const double to = final_rate();
  if (t <= 0) return 0;
  if (ramp_s <= 0 || rate == to) return to * t;
  const double a = (to - rate) / ramp_s;
  return t <= ramp_s ? rate * t + a * t * t / 2
                     : rate * ramp_s + a * ramp_s * ramp_s / 2 + to * (t - ramp_s);
}

std::optional<double> arrival_plan::offset_without_end(std::uint64_t k) const noexcept {
  const double n = static_cast<double>(k) + phase;
  const double ramp_s = std::chrono::duration<double>(ramp).count();
  const double to = final_rate();
  if (ramp_s <= 0 || rate == to) {
    if (to > 0) return n / to;
    return std::nullopt;
  }
  const double a = (to - rate) / ramp_s;  // rate slope, per second squared
  const double in_ramp = rate * ramp_s + a * ramp_s * ramp_s / 2;
  if (n <= in_ramp) {
    // rate * t + a t^2 / 2 = n
    const double disc = rate * rate + 2 * a * n;
    return (std::sqrt(std::max(0.0, disc)) - rate) / a;
  }
  if (to > 0) return ramp_s + (n - in_ramp) / to;
  return std::nullopt;
}

std::optional<double> arrival_plan::offset_s(std::uint64_t k) const noexcept {
  const auto t = offset_without_end(k);
  if (t && until && *t >= std::chrono::duration<double>(*until).count()) return std::nullopt;
  return t;
}

std::uint64_t arrival_plan::arrivals_by(std::chrono::microseconds elapsed) const noexcept {
  if (elapsed.count() < 0 || !has_arrivals()) return 0;
  if (until && elapsed >= *until) {  // those due before it: k + phase < the integral there
    const double n = integral_to(*until);
    return n > phase ? static_cast<std::uint64_t>(std::ceil(n - phase)) : 0;
  }
  const double n = integral_to(elapsed);
  if (n < phase) return 0;
  return static_cast<std::uint64_t>(std::floor(n - phase)) + 1;
}

}  // namespace swarmlet::config
