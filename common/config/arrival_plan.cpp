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

arrival_plan arrival_plan::after(std::chrono::microseconds elapsed) const noexcept {
  if (ramp.count() <= 0) return *this;
  arrival_plan rest = *this;
  rest.rate = rate_at(elapsed);
  rest.ramp = std::max(std::chrono::microseconds(0), ramp - elapsed);
  return rest;
}

arrival_plan arrival_plan::share(int part, int whole, int users) const noexcept {
  arrival_plan p = *this;
  p.rate = rate * part / whole;
  p.rate_to = rate_to * part / whole;
  p.max_users = std::max(1, users);
  return p;
}

std::optional<double> arrival_plan::offset_s(std::uint64_t k) const noexcept {
  const double n = static_cast<double>(k);
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

std::uint64_t arrival_plan::arrivals_by(std::chrono::microseconds elapsed) const noexcept {
  const double t = std::chrono::duration<double>(elapsed).count();
  const double ramp_s = std::chrono::duration<double>(ramp).count();
  const double to = final_rate();
  if (t < 0) return 0;
  double n = 0;  // the integral of the rate up to t
  if (ramp_s <= 0 || rate == to) {
    if (!(to > 0)) return 0;
    n = to * t;
  } else {
    const double a = (to - rate) / ramp_s;
    n = t <= ramp_s ? rate * t + a * t * t / 2
                    : rate * ramp_s + a * ramp_s * ramp_s / 2 + to * (t - ramp_s);
  }
  return static_cast<std::uint64_t>(std::floor(n)) + 1;
}

}  // namespace swarmlet::config
