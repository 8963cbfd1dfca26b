#pragma once
// Stats of every (method, name) and every error seen, as one hub thread records them (no locks:
// one table per thread) and as the master aggregates them (merging tables exactly).
#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "request_stats.hpp"

namespace swarmlet::stats {

struct request_key {
  std::string method;
  std::string name;
  friend auto operator<=>(const request_key&, const request_key&) = default;
};

struct error_key {
  std::string method;
  std::string name;
  std::string message;
  friend auto operator<=>(const error_key&, const error_key&) = default;
};

class stats_table {
 public:
  /// The entry of (method, name), made on first use. The reference stays valid for the table's
  /// life (take_delta resets entries in place), so callers may keep it.
  request_stats& entry(const std::string& method, const std::string& name);
  /// Counts one occurrence of `message` for (method, name).
  void record_error(const std::string& method, const std::string& name, const std::string& message,
                    std::uint64_t count = 1);
  /// Adds everything of `other` (exact: same result in any order and grouping).
  void merge(const stats_table& other);
  /// What was recorded since the last call: returned, and reset here (entries stay in place).
  stats_table take_delta();

  /// Every entry merged: Locust's "Aggregated" row.
  request_stats total() const;
  const std::map<request_key, request_stats>& entries() const noexcept { return entries_; }
  const std::map<error_key, std::uint64_t>& errors() const noexcept { return errors_; }
  bool empty() const noexcept;
  /// Open model: how late iterations started against their schedule (the generator's own lag).
  request_stats& lag() noexcept { return lag_; }
  const request_stats& lag() const noexcept { return lag_; }

 private:
  request_stats lag_;
  std::map<request_key, request_stats> entries_;
  std::map<error_key, std::uint64_t> errors_;
};

}  // namespace swarmlet::stats
