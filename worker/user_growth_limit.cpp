#include "user_growth_limit.hpp"

#include <algorithm>

namespace swarmlet::worker {

void user_growth_limit::restart(green::time_point now, int users) {
  limit_ = std::max(floor_, users);
  busy_.clear();
  window_start_ = now;
  last_count_ = now;
}

void user_growth_limit::note(green::time_point now, int busy) {
  if (now - last_count_ < sample_gap) return;
  last_count_ = now;
  busy_.push_back(busy);
  if (now - window_start_ < window) return;
  const auto median = busy_.begin() + static_cast<std::ptrdiff_t>(busy_.size() / 2);
  std::nth_element(busy_.begin(), median, busy_.end());
  limit_ = std::max(floor_, 2 * *median);
  busy_.clear();
  window_start_ = now;
}

}  // namespace swarmlet::worker
