#include "stats_table.hpp"

namespace swarmlet::stats {

request_stats& stats_table::entry(const std::string& method, const std::string& name) {
  return entries_[request_key{method, name}];
}

void stats_table::record_error(const std::string& method, const std::string& name,
                               const std::string& message, std::uint64_t count) {
  errors_[error_key{method, name, message}] += count;
}

void stats_table::merge(const stats_table& other) {
  for (const auto& [key, s] : other.entries_) entries_[key].merge(s);
  for (const auto& [key, n] : other.errors_) errors_[key] += n;
  lag_.merge(other.lag_);
}

stats_table stats_table::take_delta() {
  stats_table delta;
  for (auto& [key, s] : entries_) {
    if (s.empty()) continue;
    delta.entries_.emplace(key, s);
    s.clear();
  }
  delta.errors_.swap(errors_);
  delta.lag_ = lag_;
  lag_.clear();
  return delta;
}

request_stats stats_table::total() const {
  request_stats t;
  for (const auto& [key, s] : entries_) t.merge(s);
  return t;
}

bool stats_table::empty() const noexcept {
  for (const auto& [key, s] : entries_)
    if (!s.empty()) return false;
  return errors_.empty() && lag_.requests == 0;
}

}  // namespace swarmlet::stats
