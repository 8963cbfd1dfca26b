#pragma once
// Stats of every (method, name) and every error seen, as one hub thread records them (no locks:
// one table per thread) and as the master aggregates them (merging tables exactly).
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "request_stats.hpp"

namespace swarmlet::stats {

class name_admission;

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

/// The method of the rows that count errors a script raised (a Lua error in a task, on_start,
/// an unjoined green thread...). They are not requests: Locust lists them as exceptions, and k6
/// counts no request for a script's exception. So total() leaves them out, and a failed request
/// or a script error is what fails a test without thresholds.
inline constexpr const char* script_error_method = "LUA";

class stats_table {
 public:
  /// The name of the row that holds the requests of names beyond the cap (see cap_names).
  static constexpr const char* other_names = "(other names)";
  static constexpr std::size_t default_max_names = 10'000;
  /// The error row that holds the occurrences of messages beyond a cap (with method "*" and
  /// name other_names).
  static constexpr const char* other_errors = "(other errors)";
  /// Rows, and errors, one report of a worker carries at most: the worker folds the rest
  /// (fold_past), and the master refuses a report with more (proto::stats_frame), as it cannot
  /// come from an honest worker. A bound on what one report makes the master allocate.
  static constexpr std::size_t max_report_rows = 2000;
  static constexpr std::size_t max_report_errors = 2000;
  /// Rows beyond the cap for the other_names rows of unusual methods; past them, one row.
  static constexpr std::size_t other_rows_allowance = 16;
  /// The most bytes of a method, a name or an error message a report carries (the master
  /// refuses a report with a longer one, as from no honest worker): a longer one is cut to it
  /// as it is recorded (cut_text), so a script's long name or error (error(r.body), say) costs
  /// its text, not every request of its worker's reports.
  static constexpr std::size_t max_text = 4096;

  /// Holds at most `max_names` (method, name) rows (and as many error rows): a new name beyond
  /// that is counted in the (method, other_names) row, so names made from ids or uuids cannot
  /// grow the table without bound. A few more rows may exist: one other_names row per method.
  void cap_names(std::size_t max_names) noexcept { max_names_ = max_names; }
  std::size_t max_names() const noexcept { return max_names_; }
  /// Names get a row of their own as `shared` admits them, in place of this table's own cap: so
  /// does every table of the process given it (the hub threads', their deltas', the reports'
  /// merge), and a name is whole in all of them or folded in all. take_delta passes it on.
  void share_admission(std::shared_ptr<name_admission> shared) noexcept {
    shared_ = std::move(shared);
  }
  /// Requests counted in other_names rows (so far; take_delta keeps it).
  std::uint64_t folded_requests() const noexcept;

  /// The entry of (method, name), made on first use. The reference stays valid for the table's
  /// life (take_delta resets entries in place), so callers may keep it.
  request_stats& entry(const std::string& method, const std::string& name);
  /// As entry(), with the key the row is counted under: `key` itself (cut to max_text), or the
  /// other_names row that took it. Both stay valid for the table's life.
  std::map<request_key, request_stats>::value_type& counted_entry(const request_key& key);
  /// Counts one occurrence of `message` for (method, name).
  void record_error(const std::string& method, const std::string& name, const std::string& message,
                    std::uint64_t count = 1);
  /// `other` with each name as this table counts it: itself when this table has its row, else
  /// the other_names row that took it. (The master merges a report into its totals, then this
  /// into its per-second tables, so both fold the same names.)
  stats_table counted_as_here(const stats_table& other) const;
  /// Adds everything of `other` (exact: same result in any order and grouping, while under the
  /// cap; names beyond it are folded as entry() folds them).
  void merge(const stats_table& other);
  /// What was recorded since the last call: returned, and reset here (entries stay in place).
  stats_table take_delta();
  /// Leaves at most `max_rows` rows and `max_errors` errors (what one report may carry), every
  /// count still here: past them, the rows with the fewest requests go to their method's
  /// other_names row (one shared row once those are too many), and the rarest errors to one
  /// other_errors row. The rows with the most requests keep their names: a name made from an
  /// id has a request or two in a report, /login many. `max_rows` must exceed 18, and
  /// `max_errors` 0.
  void fold_past(std::size_t max_rows, std::size_t max_errors);

  /// Every request merged: Locust's "Aggregated" row (without the script errors' rows).
  request_stats total() const;
  /// The script errors' rows merged (method script_error_method; each is a failure).
  request_stats script_errors() const;
  /// Every row merged, requests and script errors: what a worker counts as sent and the
  /// master as received, to tell what was lost.
  request_stats all_rows() const;
  /// Whether `key` is a row of script errors rather than of requests.
  static bool is_script_error(const request_key& key) noexcept {
    return key.method == script_error_method;
  }
  const std::map<request_key, request_stats>& entries() const noexcept { return entries_; }
  const std::map<error_key, std::uint64_t>& errors() const noexcept { return errors_; }
  bool empty() const noexcept;
  /// Open model: how late iterations started against their schedule (the generator's own lag).
  request_stats& lag() noexcept { return lag_; }
  const request_stats& lag() const noexcept { return lag_; }
  /// The open model's iterations dropped for want of an idle user, over every row.
  std::uint64_t dropped() const noexcept;
  /// Whether the open model shaped these numbers: an iteration ran on a schedule (so it has a
  /// service time), was dropped, or the generator's lag was measured.
  bool scheduled() const noexcept;
  /// Requests by the HTTP version that carried them (those that reached a connection).
  struct version_counts {
    std::uint64_t http1_1 = 0;
    std::uint64_t http2 = 0;
    bool empty() const noexcept { return http1_1 == 0 && http2 == 0; }
  };
  version_counts& versions() noexcept { return versions_; }
  const version_counts& versions() const noexcept { return versions_; }

 private:
  /// The key `key` is counted under: itself (its texts cut to max_text) when known or under the
  /// cap, else its method's other_names row (or one shared row, once even those are too many).
  request_key admit(const request_key& key) const;
  error_key admit(const error_key& key) const;
  request_key counted_as(const request_key& key) const;
  error_key counted_as(const error_key& key) const;
  /// The other_names row `key` goes to once its method's has no room: one shared row, but
  /// script errors keep theirs (they must not become requests).
  static request_key last_other_row(const request_key& key);

  std::size_t max_names_ = default_max_names;
  std::shared_ptr<name_admission> shared_;
  request_stats lag_;
  version_counts versions_;
  std::map<request_key, request_stats> entries_;
  std::map<error_key, std::uint64_t> errors_;
};

}  // namespace swarmlet::stats
