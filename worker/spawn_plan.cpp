#include "spawn_plan.hpp"

#include <cmath>

namespace swarmlet::worker {

std::optional<std::string> next_class_to_start(const std::map<std::string, int>& current,
                                               const std::map<std::string, int>& target) {
  std::optional<std::string> best;
  double best_fill = 2.0;
  for (const auto& [name, want] : target) {
    const auto it = current.find(name);
    const int have = it == current.end() ? 0 : it->second;
    if (have >= want) continue;
    const double fill = static_cast<double>(have) / want;
    if (fill < best_fill) {
      best_fill = fill;
      best = name;
    }
  }
  return best;
}

std::optional<std::string> next_class_to_stop(const std::map<std::string, int>& current,
                                              const std::map<std::string, int>& target) {
  std::optional<std::string> best;
  double best_excess = 0;
  for (const auto& [name, have] : current) {
    const auto it = target.find(name);
    const int want = it == target.end() ? 0 : it->second;
    if (have <= want) continue;
    const double excess = want == 0 ? 1e18 + have : static_cast<double>(have - want) / want;
    if (excess > best_excess) {
      best_excess = excess;
      best = name;
    }
  }
  return best;
}

std::int64_t changes_due(std::chrono::steady_clock::duration elapsed, double rate) {
  const double s = std::chrono::duration<double>(elapsed).count();
  if (s < 0) return 0;
  return static_cast<std::int64_t>(std::floor(s * rate)) + 1;
}

double arrival_offset_s(std::uint64_t k, double rate_from, double rate_to, double ramp_s) {
  const double n = static_cast<double>(k);
  if (ramp_s <= 0 || rate_from == rate_to) return rate_to > 0 ? n / rate_to : 1e18;
  const double a = (rate_to - rate_from) / ramp_s;  // rate slope, per second squared
  const double in_ramp = rate_from * ramp_s + a * ramp_s * ramp_s / 2;
  if (n <= in_ramp) {
    // rate_from * t + a t^2 / 2 = n
    const double disc = rate_from * rate_from + 2 * a * n;
    return (std::sqrt(std::max(0.0, disc)) - rate_from) / a;
  }
  return rate_to > 0 ? ramp_s + (n - in_ramp) / rate_to : 1e18;
}

}  // namespace swarmlet::worker
