#pragma once
// The request names the tables of one process count in rows of their own, decided once for all
// of them. Each table admitting the first max_names names it met, a worker's hub threads (and
// its per-report merges) each kept a different set: a name could be whole in one table and
// folded into "(other names)" in another, and its row in the report showed a part of its
// requests (QA hunt: 2 of 108).
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <mutex>
#include <set>

#include "stats_table.hpp"

namespace swarmlet::stats {

/// The names a worker keeps rows for, given the test's stats.max_names: at least what one report
/// carries. The master folds past max_names, one name at a time for every worker, so a name's
/// row is whole; a worker folding at max_names too, each its own first ones, would leave a name
/// kept by one worker and folded by another part-counted in its row (QA hunt). Past this cap
/// (names made from ids) the reports fold anyway.
inline std::size_t worker_name_cap(std::size_t max_names) noexcept {
  // The rows a report carries less room for its other_names rows, which a report must then
  // never fold (fold_past would fold a few named rows of that report alone).
  return std::max(max_names, stats_table::max_report_rows - stats_table::other_rows_allowance - 2);
}

class name_admission {
 public:
  explicit name_admission(std::size_t max_names) : max_names_(max_names) {}
  /// Whether `key` has a row of its own: it had one, or there is room and now it does. Called
  /// from any thread: once per table a name is new to, and for every request of a name folded
  /// (which never has a row), so once full it reads without the lock.
  bool admits(const request_key& key);

 private:
  std::atomic<bool> full_{false};  // set once admitted_ reached the cap: it changes no more
  std::mutex mutex_;
  const std::size_t max_names_;
  std::set<request_key> admitted_;
};

}  // namespace swarmlet::stats
