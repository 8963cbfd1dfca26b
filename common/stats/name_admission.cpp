#include "name_admission.hpp"

namespace swarmlet::stats {

bool name_admission::admits(const request_key& key) {
  if (full_.load(std::memory_order_acquire)) return admitted_.count(key) != 0;
  const std::lock_guard lock(mutex_);
  if (admitted_.count(key)) return true;
  if (admitted_.size() >= max_names_) return false;
  admitted_.insert(key);
  if (admitted_.size() == max_names_) full_.store(true, std::memory_order_release);
  return true;
}

}  // namespace swarmlet::stats
