#pragma once
// Merges the workers' stats deltas exactly, notices lost and late reports, and keeps the
// time series: intervals are numbered by the master's own clock (never by a worker's).
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/stats/exception_table.hpp"
#include "common/stats/stats_table.hpp"
#include "history_row.hpp"
#include "proto/messages.hpp"
#include "thinned_history.hpp"

namespace swarmlet::master {

struct worker_record {
  std::uint64_t last_sequence = 0;
  std::uint64_t reports = 0;
  std::uint64_t lost = 0;               ///< reports not received (gaps in the sequence), so far
  std::set<std::uint64_t> missing;      ///< which: a late one that fills a gap is still merged
  std::uint64_t requests_received = 0;  ///< in the reports merged
  std::uint64_t requests_sent = 0;      ///< in the reports sent, as the latest one says
  /// Requests in reports the worker sent and the master never received (so far).
  std::uint64_t lost_requests() const noexcept {
    return requests_sent > requests_received ? requests_sent - requests_received : 0;
  }
  /// The worker's users have all stopped since the last spawn command it was sent: a final
  /// report answering that command came (an older one, e.g. of the worker's own stop when it
  /// lost the master, does not count once it was sent users again).
  bool final_received = false;
  std::uint64_t final_command = 0;  ///< the latest spawn command a final report answered
  int users = 0;
};

/// An exception a user raised (a scripted user's error with its traceback), counted across
/// workers as Locust's exceptions: the same message and traceback are one record. Past
/// aggregator::max_exceptions records, new ones are counted in the record whose message is
/// stats::exception_table::other_exceptions.
struct exception_record {
  std::uint64_t count = 0;
  std::string message;
  std::string traceback;
  std::set<std::string> workers;  ///< where it happened (Locust's "Nodes")
};

class aggregator {
 public:
  /// Seconds over which "current" rates and percentiles are taken (as Locust's 10 s).
  static constexpr int window_intervals = 10;
  /// Distinct exceptions kept for a test (the rest are counted together): a script whose
  /// messages carry ids cannot grow the master without bound.
  static constexpr std::size_t max_exceptions = 1000;

  /// Keeps at most `max_names` names (see stats_table::cap_names).
  explicit aggregator(std::uint64_t run_id = 1,
                      std::size_t max_names = stats::stats_table::default_max_names)
      : run_id_(run_id), max_names_(max_names) {
    totals_.cap_names(max_names);
  }
  /// Requests of names beyond the cap, counted in the "(other names)" rows.
  std::uint64_t folded_requests() const noexcept { return totals_.folded_requests(); }
  std::size_t max_names() const noexcept { return max_names_; }

  /// Merges a report (its exceptions too). Returns false, and counts it in rejected(), for one
  /// from another run or one already merged (a repeat).
  bool add(const proto::stats_report& report);
  /// Merges requests the master made itself (main.lua's setup and teardown).
  void add_local(const stats::stats_table& table);
  /// The worker was sent spawn command number `command` (numbered by the runner, increasing):
  /// until a final report follows it, its final numbers are still to come.
  void commanded(const std::string& worker_id, std::uint64_t command);
  /// Counts `count` occurrences of an exception on worker `worker_id` (in the "other
  /// exceptions" record when max_exceptions others are known already).
  void add_exception(const std::string& worker_id, const std::string& message,
                     const std::string& traceback, std::uint64_t count = 1);
  /// Closes the current interval (call once a second): the history gains a row (see
  /// thinned_history for which rows it keeps).
  void tick(double elapsed_s, int users);
  /// Locust's "reset stats": totals, failures, exceptions and the current rates start again from
  /// now; the history (the charts) and each worker's report sequence carry on.
  void reset_stats();

  const stats::stats_table& totals() const noexcept { return totals_; }
  const std::map<std::string, worker_record>& workers() const noexcept { return workers_; }
  const thinned_history& history() const noexcept { return history_; }
  /// Keyed by (message, traceback).
  const std::map<std::pair<std::string, std::string>, exception_record>& exceptions()
      const noexcept {
    return exceptions_;
  }
  /// The exceptions, the most frequent first (ties by message): what the reports list.
  std::vector<const exception_record*> exceptions_by_count() const;
  std::uint64_t rejected() const noexcept { return rejected_; }
  std::uint64_t lost_reports() const;
  /// Requests in the lost reports: the workers counted them, the totals do not hold them.
  std::uint64_t lost_requests() const;
  bool all_final() const;
  int users() const;
  /// Requests and failures per second for (method, name) over the window; the total when the
  /// name is empty.
  std::pair<double, double> current_rates(const stats::request_key* key) const;
  /// The requests of (method, name) over the window, merged: its current percentiles.
  stats::request_stats current_window(const stats::request_key& key) const;
  /// How many intervals the window holds now (up to window_intervals).
  std::size_t window_size() const noexcept { return window_.size(); }

 private:
  static stats::stats_table per_second_table();

  std::uint64_t run_id_;
  std::size_t max_names_;
  stats::stats_table totals_;
  stats::stats_table interval_ = per_second_table();
  std::deque<stats::stats_table> window_;
  std::map<std::string, worker_record> workers_;
  std::map<std::string, std::uint64_t> last_command_;  ///< per worker
  thinned_history history_;
  std::map<std::pair<std::string, std::string>, exception_record> exceptions_;
  std::uint64_t rejected_ = 0;
};

}  // namespace swarmlet::master
