#include "stats_table.hpp"

#include <utility>

namespace swarmlet::stats {

namespace {
// Rows beyond the cap for the other_names rows of unusual methods; past them, one row.
constexpr std::size_t other_rows_allowance = 16;
}  // namespace

request_key stats_table::admit(const request_key& key) const {
  if (entries_.size() < max_names_ || entries_.count(key)) return key;
  request_key other{key.method, other_names};
  if (entries_.size() < max_names_ + other_rows_allowance || entries_.count(other)) return other;
  return {"*", other_names};
}

error_key stats_table::admit(const error_key& key) const {
  if (errors_.size() < max_names_ || errors_.count(key)) return key;
  return {"*", other_names, "(other errors)"};
}

request_key stats_table::counted_as(const request_key& key) const {
  if (entries_.count(key)) return key;
  if (request_key other{key.method, other_names}; entries_.count(other)) return other;
  return {"*", other_names};
}

error_key stats_table::counted_as(const error_key& key) const {
  return errors_.count(key) ? key : error_key{"*", other_names, "(other errors)"};
}

stats_table stats_table::counted_as_here(const stats_table& other) const {
  stats_table out;
  out.max_names_ = static_cast<std::size_t>(-1);  // folded already: as this table folds
  for (const auto& [key, s] : other.entries_) out.entries_[counted_as(key)].merge(s);
  for (const auto& [key, n] : other.errors_) out.errors_[counted_as(key)] += n;
  out.lag_ = other.lag_;
  out.versions_ = other.versions_;
  return out;
}

request_stats& stats_table::entry(const std::string& method, const std::string& name) {
  if (auto it = entries_.find(request_key{method, name}); it != entries_.end()) return it->second;
  return entries_[admit(request_key{method, name})];
}

std::map<request_key, request_stats>::value_type& stats_table::counted_entry(
    const request_key& key) {
  if (auto it = entries_.find(key); it != entries_.end()) return *it;
  return *entries_.try_emplace(admit(key)).first;
}

void stats_table::record_error(const std::string& method, const std::string& name,
                               const std::string& message, std::uint64_t count) {
  errors_[admit(error_key{method, name, message})] += count;
}

void stats_table::merge(const stats_table& other) {
  for (const auto& [key, s] : other.entries_) entries_[admit(key)].merge(s);
  for (const auto& [key, n] : other.errors_) errors_[admit(key)] += n;
  lag_.merge(other.lag_);
  versions_.http1_1 += other.versions_.http1_1;
  versions_.http2 += other.versions_.http2;
}

std::uint64_t stats_table::folded_requests() const noexcept {
  std::uint64_t n = 0;
  for (const auto& [key, s] : entries_)
    if (key.name == other_names) n += s.requests;
  return n;
}

stats_table stats_table::take_delta() {
  stats_table delta;
  delta.max_names_ = max_names_;
  for (auto& [key, s] : entries_) {
    if (s.empty()) continue;
    delta.entries_.emplace(key, s);
    s.clear();
  }
  delta.errors_.swap(errors_);
  delta.lag_ = lag_;
  lag_.clear();
  delta.versions_ = std::exchange(versions_, {});
  return delta;
}

std::uint64_t stats_table::dropped() const noexcept {
  std::uint64_t n = 0;
  for (const auto& [key, s] : entries_) n += s.dropped;
  return n;
}

bool stats_table::scheduled() const noexcept {
  if (lag_.requests > 0) return true;
  for (const auto& [key, s] : entries_)
    if (s.dropped > 0 || !s.service.empty()) return true;
  return false;
}

request_stats stats_table::total() const {
  request_stats t;
  for (const auto& [key, s] : entries_) t.merge(s);
  return t;
}

bool stats_table::empty() const noexcept {
  for (const auto& [key, s] : entries_)
    if (!s.empty()) return false;
  return errors_.empty() && lag_.requests == 0 && versions_.empty();
}

}  // namespace swarmlet::stats
