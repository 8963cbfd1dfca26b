#pragma once
// The request names the tables of one process count in rows of their own, decided once for all
// of them. Each table admitting the first max_names names it met, a worker's hub threads (and
// its per-report merges) each kept a different set: a name could be whole in one table and
// folded into "(other names)" in another, and its row in the report showed a part of its
// requests (QA hunt: 2 of 108).
#include <cstddef>
#include <mutex>
#include <set>

#include "stats_table.hpp"

namespace swarmlet::stats {

class name_admission {
 public:
  explicit name_admission(std::size_t max_names) : max_names_(max_names) {}
  /// Whether `key` has a row of its own: it had one, or there is room and now it does. Called
  /// from any thread, once per table a name is new to (not per request).
  bool admits(const request_key& key);

 private:
  std::mutex mutex_;
  const std::size_t max_names_;
  std::set<request_key> admitted_;
};

}  // namespace swarmlet::stats
