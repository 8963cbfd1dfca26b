#include "exception_table.hpp"

#include <utility>

#include "cut_text.hpp"

namespace swarmlet::stats {

void exception_table::record(std::string_view message, std::string_view traceback,
                             std::uint64_t count) {
  exception_key key{cut_text(message, max_message), cut_text(traceback, max_traceback)};
  if (auto it = entries_.find(key); it != entries_.end()) {
    it->second += count;
    return;
  }
  if (entries_.size() >= max_distinct_ + (entries_.count({other_exceptions, ""}) ? 1 : 0))
    key = {other_exceptions, ""};
  entries_[std::move(key)] += count;
}

void exception_table::merge(const exception_table& other) {
  for (const auto& [key, n] : other.entries_) record(key.message, key.traceback, n);
}

exception_table exception_table::take_delta() {
  exception_table delta(max_distinct_);
  delta.entries_.swap(entries_);
  return delta;
}

std::uint64_t exception_table::total() const noexcept {
  std::uint64_t n = 0;
  for (const auto& [key, count] : entries_) n += count;
  return n;
}

}  // namespace swarmlet::stats
