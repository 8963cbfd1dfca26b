#include "arrival_plan.hpp"

#include <algorithm>
#include <cmath>

namespace swarmlet::config {
namespace {

/// An arrival within this many intervals of a point counts as at it (see plan_arrivals_before).
constexpr double at_point = 1e-9;

}  // namespace

double arrival_plan::rate_at(std::chrono::microseconds elapsed) const noexcept {
  if (ramp.count() <= 0) return rate;
  const double done = std::clamp(
      static_cast<double>(elapsed.count()) / static_cast<double>(ramp.count()), 0.0, 1.0);
  return rate + (rate_to - rate) * done;
}

arrival_plan arrival_plan::after(std::chrono::microseconds elapsed) const noexcept {
  arrival_plan rest = *this;
  // The arrivals before `elapsed` are done; the next one, counted from there, falls where the
  // integral reaches its index + phase less the part already run.
  const double run = integral_to(elapsed);
  const double next = static_cast<double>(plan_arrivals_before(run)) + phase - run;
  rest.phase = std::clamp(next, 0.0, std::nextafter(1.0, 0.0));
  if (until) rest.until = std::max(std::chrono::microseconds(0), *until - elapsed);
  if (ramp.count() <= 0) return rest;
  rest.rate = rate_at(elapsed);
  rest.ramp = std::max(std::chrono::microseconds(0), ramp - elapsed);
  return rest;
}

arrival_plan arrival_plan::share(int first, int part, int whole, int users) const noexcept {
  arrival_plan p = *this;
  p.first_place = first;
  p.places = std::max(1, part);
  p.all_places = std::max(p.places, whole);
  p.max_users = std::max(1, users);
  return p;
}

std::uint64_t arrival_plan::plan_index(std::uint64_t k) const noexcept {
  const auto per = static_cast<std::uint64_t>(places);
  return k / per * static_cast<std::uint64_t>(all_places) +
         static_cast<std::uint64_t>(first_place) + k % per;
}

std::uint64_t arrival_plan::plan_arrivals_before(double integral) const noexcept {
  const double x = integral - phase - at_point;
  if (!(x > 0)) return 0;
  if (x >= 1.8e19) return UINT64_MAX;
  return static_cast<std::uint64_t>(std::ceil(x));
}

std::uint64_t arrival_plan::share_of_first(std::uint64_t n) const noexcept {
  const auto all = static_cast<std::uint64_t>(all_places);
  const auto per = static_cast<std::uint64_t>(places);
  const auto first = static_cast<std::uint64_t>(first_place);
  const std::uint64_t in_last = n % all;
  return n / all * per + (in_last > first ? std::min(per, in_last - first) : 0);
}

double arrival_plan::integral_to(std::chrono::microseconds elapsed) const noexcept {
  const double t = std::chrono::duration<double>(elapsed).count();
  const double ramp_s = std::chrono::duration<double>(ramp).count();
  const double to = final_rate();
  if (t <= 0) return 0;
  if (ramp_s <= 0 || rate == to) return to * t;
  if (t >= ramp_s) return (rate + to) * ramp_s / 2 + to * (t - ramp_s);
  const double a = (to - rate) / ramp_s;
  return rate * t + a * t * t / 2;
}

std::optional<double> arrival_plan::plan_offset_s(std::uint64_t g) const noexcept {
  const double n = static_cast<double>(g) + phase;
  const double ramp_s = std::chrono::duration<double>(ramp).count();
  const double to = final_rate();
  if (ramp_s <= 0 || rate == to) {
    if (to > 0) return n / to;
    return std::nullopt;
  }
  const double a = (to - rate) / ramp_s;  // rate slope, per second squared
  const double in_ramp = (rate + to) * ramp_s / 2;
  if (n <= in_ramp) {
    // rate * t + a t^2 / 2 = n, as 2n / (rate + sqrt(disc)): (sqrt(disc) - rate) / a cancels
    // to nothing when the slope is tiny (review: rates of 200 and 200.00000000000006 put 6,401
    // arrivals at 0 s).
    const double disc = rate * rate + 2 * a * n;
    const double den = rate + std::sqrt(std::max(0.0, disc));
    if (!(den > 0)) return 0.0;  // the first arrival of a ramp from 0
    return std::min(ramp_s, 2 * n / den);
  }
  if (to > 0) return ramp_s + (n - in_ramp) / to;
  return std::nullopt;
}

std::optional<double> arrival_plan::offset_s(std::uint64_t k) const noexcept {
  const std::uint64_t g = plan_index(k);
  // The end is decided by the integral, as after() decides the next plan's phase: in seconds
  // (through a square root) the two rounded differently, and an arrival at a stage's end came
  // in both stages, or in neither (review).
  if (until && g >= plan_arrivals_before(integral_to(*until))) return std::nullopt;
  return plan_offset_s(g);
}

std::uint64_t arrival_plan::arrivals_by(std::chrono::microseconds elapsed) const noexcept {
  if (elapsed.count() < 0 || !has_arrivals()) return 0;
  std::uint64_t due = 0;  // of the whole plan
  if (until && elapsed >= *until) {
    due = plan_arrivals_before(integral_to(*until));
  } else {
    const double n = integral_to(elapsed);
    if (n - phase >= 1.8e19) return UINT64_MAX;
    if (n >= phase) due = static_cast<std::uint64_t>(std::floor(n - phase)) + 1;
  }
  return share_of_first(due);
}

}  // namespace swarmlet::config
