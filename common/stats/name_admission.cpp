#include "name_admission.hpp"

namespace swarmlet::stats {

bool name_admission::admits(const request_key& key) {
  const std::lock_guard lock(mutex_);
  if (admitted_.count(key)) return true;
  if (admitted_.size() >= max_names_) return false;
  admitted_.insert(key);
  return true;
}

}  // namespace swarmlet::stats
