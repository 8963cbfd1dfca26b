#include "class_rotation.hpp"

#include <algorithm>
#include <numeric>

namespace swarmlet::worker {

class_rotation::class_rotation(const std::vector<int>& weights) {
  std::int64_t divisor = 0;
  for (int w : weights) divisor = std::gcd(divisor, static_cast<std::int64_t>(std::max(w, 1)));
  for (int w : weights) {
    weights_.push_back(static_cast<std::int64_t>(std::max(w, 1)) / divisor);
    cycle_ += weights_.back();
  }
  credit_.assign(weights_.size(), 0);
}

std::size_t class_rotation::next_turn() {
  std::size_t best = 0;
  for (std::size_t c = 0; c < weights_.size(); ++c) {
    credit_[c] += weights_[c];
    if (credit_[c] > credit_[best]) best = c;
  }
  credit_[best] -= cycle_;
  return best;
}

std::size_t class_rotation::class_of(std::uint64_t id) {
  if (weights_.size() <= 1) return 0;
  // Id 1 is the cycle's first position. The turns are worked out once, as far as the highest
  // id asked (an open model's ids go up to its max_users), and at most one cycle.
  const auto cycle = static_cast<std::uint64_t>(cycle_);
  const std::uint64_t position = (id % cycle + cycle - 1) % cycle;
  while (turns_.size() <= position) turns_.push_back(static_cast<std::uint32_t>(next_turn()));
  return turns_[position];
}

}  // namespace swarmlet::worker
