#include "stats_table.hpp"

#include <algorithm>
#include <cassert>
#include <utility>
#include <vector>

#include "cut_text.hpp"
#include "name_admission.hpp"

namespace swarmlet::stats {

request_key stats_table::admit(const request_key& key) const {
  if (key.method.size() > max_text || key.name.size() > max_text)
    return admit(request_key{cut_text(key.method, max_text), cut_text(key.name, max_text)});
  if (entries_.count(key)) return key;
  if (shared_ ? key.name != other_names && shared_->admits(key) : entries_.size() < max_names_)
    return key;
  request_key other{key.method, other_names};
  if (entries_.size() < max_names_ + other_rows_allowance || entries_.count(other)) return other;
  return last_other_row(key);
}

request_key stats_table::last_other_row(const request_key& key) {
  if (is_script_error(key)) return {key.method, other_names};
  return {"*", other_names};
}

error_key stats_table::admit(const error_key& key) const {
  if (key.method.size() > max_text || key.name.size() > max_text || key.message.size() > max_text)
    return admit(error_key{cut_text(key.method, max_text), cut_text(key.name, max_text),
                           cut_text(key.message, max_text)});
  if (errors_.size() < max_names_ || errors_.count(key)) return key;
  return {"*", other_names, other_errors};
}

request_key stats_table::counted_as(const request_key& key) const {
  // As admit() cut it: a long key is counted under its cut row, as merge() puts it.
  if (key.method.size() > max_text || key.name.size() > max_text)
    return counted_as(request_key{cut_text(key.method, max_text), cut_text(key.name, max_text)});
  if (entries_.count(key)) return key;
  if (request_key other{key.method, other_names}; entries_.count(other)) return other;
  return last_other_row(key);
}

error_key stats_table::counted_as(const error_key& key) const {
  if (key.method.size() > max_text || key.name.size() > max_text || key.message.size() > max_text)
    return counted_as(error_key{cut_text(key.method, max_text), cut_text(key.name, max_text),
                                cut_text(key.message, max_text)});
  return errors_.count(key) ? key : error_key{"*", other_names, other_errors};
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
  delta.shared_ = shared_;
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

void stats_table::fold_past(std::size_t max_rows, std::size_t max_errors) {
  assert(max_rows > other_rows_allowance + 2 && max_errors > 0);
  if (entries_.size() > max_rows) {
    // other_names rows first (what is folded goes to them anyway), then the most requests.
    std::vector<decltype(entries_)::iterator> order;
    order.reserve(entries_.size());
    for (auto it = entries_.begin(); it != entries_.end(); ++it) order.push_back(it);
    std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
      const bool a_other = a->first.name == other_names, b_other = b->first.name == other_names;
      if (a_other != b_other) return a_other;
      return a->second.requests > b->second.requests;
    });
    // Room for the other_names rows the folded ones may need: one per method (up to the
    // allowance), then one for every method and one for script errors (last_other_row).
    const std::size_t keep = max_rows - other_rows_allowance - 2;
    std::map<request_key, request_stats> kept;
    for (std::size_t i = 0; i < keep; ++i) kept.insert(entries_.extract(order[i]));
    std::size_t other_rows_made = 0;
    for (std::size_t i = keep; i < order.size(); ++i) {
      request_key into{order[i]->first.method, other_names};
      if (!kept.count(into)) {
        if (other_rows_made < other_rows_allowance)
          ++other_rows_made;
        else
          into = last_other_row(into);
      }
      kept[into].merge(order[i]->second);
    }
    entries_.swap(kept);
  }
  if (errors_.size() > max_errors) {
    const error_key other{"*", other_names, other_errors};
    std::vector<decltype(errors_)::iterator> order;
    order.reserve(errors_.size());
    for (auto it = errors_.begin(); it != errors_.end(); ++it)
      if (it->first != other) order.push_back(it);
    std::stable_sort(order.begin(), order.end(),
                     [](const auto& a, const auto& b) { return a->second > b->second; });
    std::map<error_key, std::uint64_t> kept;
    std::uint64_t folded = 0;
    if (auto it = errors_.find(other); it != errors_.end()) folded = it->second;
    for (std::size_t i = 0; i < order.size(); ++i) {
      if (i < max_errors - 1)
        kept.insert(errors_.extract(order[i]));
      else
        folded += order[i]->second;
    }
    kept[other] += folded;
    errors_.swap(kept);
  }
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
  for (const auto& [key, s] : entries_)
    if (!is_script_error(key)) t.merge(s);
  return t;
}

request_stats stats_table::script_errors() const {
  request_stats t;
  for (const auto& [key, s] : entries_)
    if (is_script_error(key)) t.merge(s);
  return t;
}

request_stats stats_table::all_rows() const {
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
