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

}  // namespace swarmlet::worker
