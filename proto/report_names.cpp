#include "report_names.hpp"

#include <algorithm>

namespace swarmlet::proto {

void report_names::use_run(std::uint64_t run_id) {
  if (run_id == run_id_) return;
  run_id_ = run_id;
  numbers_.clear();
  keys_.clear();
  known_below_ = 0;
}

std::uint32_t report_names::number(const stats::request_key& key) {
  auto [it, added] = numbers_.try_emplace(key, static_cast<std::uint32_t>(keys_.size()));
  if (added) keys_.push_back(&it->first);
  return it->second;
}

void report_names::acknowledged(std::uint64_t run_id, std::uint32_t known_below) noexcept {
  if (run_id != run_id_ || run_id == 0) return;
  // Never above what was given: the master cannot know a number this side has not made.
  known_below_ = std::max(known_below_, std::min(known_below, size()));
}

}  // namespace swarmlet::proto
