#pragma once
// Merges the workers' stats deltas exactly, notices lost and late reports, and keeps the
// time series: intervals are numbered by the master's own clock (never by a worker's).
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/green/clock_source.hpp"
#include "common/stats/exception_table.hpp"
#include "common/stats/stats_table.hpp"
#include "count_sums.hpp"
#include "history_row.hpp"
#include "name_numbers.hpp"
#include "proto/messages.hpp"
#include "proto/stats_frame.hpp"
#include "records_by_id.hpp"
#include "thinned_history.hpp"

namespace swarmlet::master {

struct worker_record {
  std::uint64_t last_sequence = 0;
  std::uint64_t reports = 0;
  std::uint64_t lost = 0;               ///< reports not received (gaps in the sequence), so far
  proto::id_ranges missing;             ///< which: a late one that fills a gap is still merged
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
  /// The worker's request name numbers in this run (proto::report_names) -> the aggregator's
  /// rows for them (name_numbers::none: not defined yet).
  name_numbers name_rows;
  std::uint32_t names_known = 0;  ///< the numbers below this are all defined
  /// When the master merged its previous report (or first sent it users): where the time its
  /// next report covers begins. None before either.
  std::optional<green::time_point> covered_until;
  /// Of a record "ID (before its restart)", where the reports of the process the latest
  /// restart replaced count (in its own numbering): what the processes replaced before it said
  /// they sent (requests_sent is theirs and its, summed).
  std::uint64_t requests_sent_earlier = 0;
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
  /// Which process under a worker's id a report comes from (see restarted()).
  enum class process {
    joined,    ///< the one that joined last (or the report does not say)
    replaced,  ///< the one its latest restart replaced: counted in before_restart(id)
    older,     ///< one older still (a crash loop's, or one of two given the id): refused
  };
  /// Seconds over which "current" rates and percentiles are taken (as Locust's 10 s).
  static constexpr int window_intervals = 10;
  /// The least time the window's reports must cover for it to give rates (0 before): the
  /// first report, of a ramp's end 15 ms in, read 668 req/s where the test ran at 394 (its
  /// users' first requests, all at once).
  static constexpr double min_rate_seconds = 0.5;
  /// Distinct exceptions kept for a test (the rest are counted together): a script whose
  /// messages carry ids cannot grow the master without bound.
  static constexpr std::size_t max_exceptions = 1000;

  /// Keeps at most `max_names` names (see stats_table::cap_names).
  explicit aggregator(std::uint64_t run_id = 1,
                      std::size_t max_names = stats::stats_table::default_max_names)
      : run_id_(run_id), max_names_(max_names) {
    totals_.cap_names(max_names);
  }
  // rows_ point into totals_.
  aggregator(const aggregator&) = delete;
  /// Reads the time (when reports arrive, when workers are commanded) from `clock` from now on
  /// (a test's manual clock); the real one otherwise.
  void use_clock(const green::clock_source& clock) {
    clock_ = &clock;
    started_ = interval_began_ = clock.now();
  }
  aggregator& operator=(const aggregator&) = delete;
  /// Requests of names beyond the cap, counted in the "(other names)" rows.
  std::uint64_t folded_requests() const {
    flush_rows();
    return totals_.folded_requests();
  }
  std::size_t max_names() const noexcept { return max_names_; }

  /// Merges a report (its exceptions too). Returns false, and counts it in rejected(), for one
  /// from another run, one already merged (a repeat), or one whose counts would take a total
  /// past 2^64 - 1 (see count_sums).
  bool add(const proto::stats_report& report);
  enum class add_result {
    merged,
    rejected,    ///< of another run, or a repeat: counted in rejected()
    unresolved,  ///< it uses a name number the worker never defined: its requests count as lost
    /// Its counts would take a total past 2^64 - 1 (see overflowing_count): nothing of it
    /// counts, not even its header, and the worker's earlier numbers stand. Not in rejected():
    /// the caller tells it as a bad frame.
    overflows,
    /// Of a process under the worker's id that is neither the one registered nor the one its
    /// latest restart replaced (a crash loop's, or one of two processes given one id): counted
    /// in rejected().
    stale,
    /// Read no further than its header (see add_refused): its requests count as lost.
    refused,
    /// It defines request names past max_name_bytes: its requests count as lost (see
    /// unresolved), and its names are not learnt.
    names_full,
  };
  /// What the request names the workers define in a run may cost the master, across workers:
  /// each name's bytes (twice: a row's key and the index's), its row, and each page of a
  /// worker's numbers (name_numbers). 256 MiB holds each of max_counted_workers workers' first
  /// page (4 KiB: 128 MiB, 80 MiB for the 20,000 workers a master is built for) and 150,000
  /// names of 100 bytes, fifteen times stats.max_names' default; a worker that names each
  /// request anew (ids in the names) goes past it only in a test whose numbers say nothing.
  /// Without it, made-up worker ids each defined 2^20 names of 4 KiB (1.7 GB: sandbox hunt).
  static constexpr std::size_t max_name_bytes = 256 * 1024 * 1024;
  /// Merges a report of the stats plane read in place, straight into the totals and the current
  /// interval (as add(stats_report) would merge it, without making one). Its name definitions
  /// are learnt for the worker's later reports. An unresolved one still counts for its header
  /// (sequence, users, final, requests sent), and stays missing: if it comes again once its
  /// names are known, it is merged then, once. `users_change`: how the worker's count of
  /// users moved (0 for a rejected one).
  add_result add(const proto::stats_frame& frame, process from, int& users_change) {
    return add_frame(frame, from, users_change, true);
  }
  add_result add(const proto::stats_frame& frame, int& users_change) {
    return add(frame, process_of(std::string(frame.sender), frame.incarnation), users_change);
  }
  add_result add(const proto::stats_frame& frame) {
    int users_change = 0;
    return add(frame, users_change);
  }
  /// A report the master refused to read past its header (a frame beyond the limits of
  /// proto::stats_frame, which only a broken or hostile worker sends): `header` holds what
  /// stats_frame::header_read() kept. It counts as an unresolved one does, for its header
  /// (sequence, users, final, requests sent), and is lost: its requests are in lost_requests().
  add_result add_refused(const proto::stats_frame& header, process from, int& users_change) {
    return add_frame(header, from, users_change, false);
  }
  /// The name of the first count ("requests", "errors", ...) that merging `frame` would take
  /// past what its worker may count in a run (worker_ceiling, see count_sums), or past 2^64 - 1
  /// in some total; too_many_workers when it is of a worker beyond the max_counted_workers ids
  /// the run counts already; nullptr when it fits. Only a broken or hostile worker sends such
  /// counts; add() refuses its frame, and every other worker's count on.
  const char* overflowing_count(const proto::stats_frame& frame, process from) const;
  /// What overflowing_count() says of a report of a worker beyond max_counted_workers.
  /// An array, not a pointer to a literal: compared by address, and a literal may have an
  /// address of its own in each translation unit (the sanitizer build's did).
  static constexpr char too_many_workers[] = "worker count";
  const char* overflowing_count(const proto::stats_frame& frame) const {
    return overflowing_count(frame, process_of(std::string(frame.sender), frame.incarnation));
  }
  /// The worker's name numbers known without a gap in this run (what the master's heartbeats
  /// tell it, so that its reports stop defining them).
  std::uint32_t names_known(const std::string& worker_id) const;
  /// Merges requests the master made itself (main.lua's setup and teardown), unless they would
  /// take a total past 2^64 - 1 (which the master's own few requests never come near).
  void add_local(const stats::stats_table& table);
  /// The worker was sent spawn command number `command` (numbered by the runner, increasing):
  /// until a final report follows it, its final numbers are still to come.
  void commanded(const std::string& worker_id, std::uint64_t command);
  /// The worker (re)joins the test: it had stopped its users (it lost the master, or left), so
  /// its next report covers the time from its next command, not the time it was away.
  /// `incarnation`: its process's (proto::hello_payload), 0 when not said; reports that say
  /// another one are of a process gone (see restarted()).
  void joined(const std::string& worker_id, std::uint64_t incarnation = 0);
  /// A new process took over `worker_id` (it died and was restarted under the same id): the
  /// record of the one before moves to "ID (before its restart)", where the reports keep its
  /// counts (with those of earlier restarts), its users at 0; the new process's reports,
  /// numbered from 1 with names numbered anew, start a record of their own. The old process's
  /// reports still on their way (the stats plane may bring one after the new process's hello)
  /// are merged into the record before, by the incarnation they say.
  void restarted(const std::string& worker_id);
  /// The process of `worker_id` whose reports say `incarnation` (0: not said).
  process process_of(const std::string& worker_id, std::uint64_t incarnation) const;
  /// The record of the process before a restart of `worker_id`.
  static std::string before_restart(const std::string& worker_id) {
    return worker_id + " (before its restart)";
  }
  /// Counts `count` occurrences of an exception on worker `worker_id` (in the "other
  /// exceptions" record when max_exceptions others are known already).
  void add_exception(const std::string& worker_id, const std::string& message,
                     const std::string& traceback, std::uint64_t count = 1);
  /// Closes the current interval (call once a second): the history gains a row (see
  /// thinned_history for which rows it keeps).
  void tick(double elapsed_s, int users);
  /// Locust's "reset stats": totals, failures, exceptions and the current rates start again from
  /// now; the history (the charts) and each worker's report sequence carry on. A report
  /// numbered with fewer resets than this makes is of requests from before: it counts for its
  /// worker's sequence and users, not in the stats.
  void reset_stats();
  /// How often the stats were reset in this run.
  std::uint64_t stats_resets() const noexcept { return stats_resets_; }

  /// Every report merged so far (the figures reports left in their rows are folded in first).
  const stats::stats_table& totals() const {
    flush_rows();
    return totals_;
  }
  const std::map<std::string, worker_record>& workers() const noexcept {
    return workers_.ordered();
  }
  const thinned_history& history() const noexcept { return history_; }
  /// Keyed by (message, traceback).
  const std::map<std::pair<std::string, std::string>, exception_record>& exceptions()
      const noexcept {
    return exceptions_;
  }
  /// The exceptions, the most frequent first (ties by message): what the reports list.
  std::vector<const exception_record*> exceptions_by_count() const;
  /// Reports refused: of another run, repeats, or numbered further ahead of the worker's last
  /// than this (see take_sequence).
  std::uint64_t rejected() const noexcept { return rejected_; }
  static constexpr std::uint64_t max_sequence_gap = 1'000'000;
  std::uint64_t lost_reports() const;
  /// Requests in the lost reports: the workers counted them, the totals do not hold them.
  std::uint64_t lost_requests() const;
  bool all_final() const;
  int users() const;
  /// Requests and failures per second for (method, name) over the window and the reports merged
  /// since the last tick; the total when `key` is null.
  std::pair<double, double> current_rates(const stats::request_key* key) const;
  /// The requests of (method, name) over the window and since the last tick, merged: its
  /// current percentiles.
  stats::request_stats current_window(const stats::request_key& key) const;
  /// How many intervals the window holds now (up to window_intervals).
  std::size_t window_size() const noexcept { return window_.size(); }
  /// The time the window's reports cover, those since the last tick too, which the current
  /// rates divide by (0 when there are none).
  double window_seconds() const;

 private:
  static stats::stats_table per_second_table();

  /// A (method, name) that workers report by number, with where it counts: its row of the
  /// totals (found again after a reset) and the figures reports brought since they were last
  /// folded into totals_ and interval_ (by tick() or a reader of totals()): a report adds its
  /// histograms once, into the row, and costs no table lookup.
  struct name_row {
    stats::request_key key;
    std::uint64_t generation = 0;  ///< of totals_, when `total` was found
    stats::request_stats* total = nullptr;
    const stats::request_key* counted_as = nullptr;  ///< the key `total` has in totals_
    stats::request_stats interval;
    bool touched = false;  ///< in touched_
  };
  /// add() of a frame read whole (`readable`), or add_refused() of one read to its header.
  add_result add_frame(const proto::stats_frame& frame, process from, int& users_change,
                       bool readable);
  /// Counts a report's sequence number for `w`: false (and counted rejected) for a repeat.
  bool take_sequence(worker_record& w, std::uint64_t sequence);
  enum class resolution { resolved, unresolved, names_full };
  /// Learns the frame's name definitions: unresolved when a row uses a number still unknown
  /// after them, or a definition contradicts an earlier one; names_full when a definition would
  /// take name_bytes_ past max_name_bytes (those before it are learnt, as before a
  /// contradiction).
  resolution resolve(worker_record& w, const proto::stats_frame& frame);
  /// What the names learnt cost so far in this run (see max_name_bytes).
  std::size_t name_bytes_ = 0;
  void merge_rows(const worker_record& w, const proto::stats_frame& frame);
  /// sums_ with `frame` added, into `into`, and its worker's sums with it, into `worker_into`:
  /// the count that overflows or passes the worker's ceiling (too_many_workers: one worker too
  /// many), or nullptr.
  const char* sums_with(const proto::stats_frame& frame, const std::string& record,
                        count_sums& into, count_sums& worker_into) const;
  /// The sums of `worker_id` so far, into `into`; false when it has none yet and the run counts
  /// max_counted_workers others.
  bool worker_sums(std::string_view worker_id, count_sums& into) const;
  /// How far a report saying `requests_sent` moves its record's count (it keeps the largest).
  std::uint64_t sent_more(const std::string& record, std::uint64_t requests_sent) const;
  /// The id of the record a report of `worker_id`'s process `from` (not older) counts in: the
  /// worker's own, or before_restart(worker_id) (made in `scratch`).
  static const std::string& record_of(const std::string& worker_id, process from,
                                      std::string& scratch);
  /// Whether a final report of `worker_id`'s process `from`, answering command
  /// `final_command`, answers the last command that process was sent.
  bool answers_last_command(const std::string& worker_id, process from,
                            std::uint64_t final_command) const;
  /// The rows' pending figures into totals_ and interval_. Const: the folded tables hold
  /// the same requests as before, only where readers look for them.
  void flush_rows() const;

  std::uint64_t run_id_;
  std::size_t max_names_;
  // Mutable with rows_ and touched_ for flush_rows(), called by the const readers.
  mutable stats::stats_table totals_;
  mutable stats::stats_table interval_ = per_second_table();
  std::deque<stats::stats_table> window_;
  /// A stretch of master time a report covers: from the worker's previous report (or its
  /// first command) to this one's arrival.
  struct span {
    green::time_point from, to;
    std::uint64_t requests = 0;  ///< the report's
    std::size_t worker = 0;      ///< the hash of its worker's id
  };
  /// The spans of an interval's reports, and their union.
  struct interval_spans {
    std::vector<span> spans;
    std::vector<span> covered;
  };
  /// The spans of the reports merged in the current interval, and of each of the window's,
  /// with when each began. The window's rates divide by the time its reports cover, from its
  /// first interval's start: reports land an interval after their requests (the first interval
  /// of a test holds none, and one may hold two reports of a worker, or a final report's part
  /// of a second besides a whole one), and workers come and go; the spans follow each
  /// worker's reports wherever they land. The window ends where the workers of its last
  /// reports have all reported, and a span across either end counts the part of its requests
  /// within (QA: four workers reporting out of phase covered 10.85 s of a 10 s window, each's
  /// reports ending elsewhere, and their rates read 9% low).
  std::vector<span> interval_spans_;
  std::deque<interval_spans> window_spans_;
  std::deque<green::time_point> window_starts_;
  double window_seconds_ = 0;  ///< at the last tick: the history row's
  /// window_seconds(), worked out when read after a report (readers ask for each row's rates).
  mutable std::optional<double> live_seconds_;
  /// Counts that `w`'s report just merged, of `requests`, covers the time since its previous.
  void add_span(worker_record& w, const std::string& worker_id, std::uint64_t requests);
  /// A report of `w` from before the latest reset: its span counts in no rate, and the next
  /// one's begins where it ends.
  void skip_span(worker_record& w);
  /// The window's seconds for its rates, with the `current` interval's spans: the time its
  /// spans cover from `start` to where its last reports' workers have all reported, stretched
  /// by the share of its requests outside.
  double window_seconds_from(green::time_point start, const std::vector<span>& current) const;
  /// Where the first report's span of each worker begins: when it was first sent users.
  std::map<std::string, green::time_point> commanded_at_;
  const green::clock_source* clock_ = &green::real_time();
  green::time_point started_ = clock_->now();  ///< a worker never commanded counts from here
  green::time_point interval_began_ = started_;
  records_by_id<worker_record> workers_;
  /// The processes under a worker's id: the incarnations of the one that joined last and of
  /// the one its latest restart replaced, and the last command that one was sent.
  struct processes {
    std::uint64_t joined = 0;
    std::uint64_t replaced = 0;
    std::uint64_t replaced_last_command = 0;
  };
  records_by_id<processes> processes_;
  std::map<std::string, std::uint64_t> last_command_;  ///< per worker
  thinned_history history_;
  std::map<std::pair<std::string, std::string>, exception_record> exceptions_;
  std::uint64_t rejected_ = 0;
  std::uint64_t stats_resets_ = 0;
  /// Everything merged since the aggregator was made (not reset with the stats: the sums bound
  /// the totals of every reset too, and the workers' records, which no reset clears).
  count_sums sums_;
  /// What each worker id merged in this run, whichever of its processes (the records before
  /// a restart too): each bounded by worker_ceiling, at most max_counted_workers of them.
  records_by_id<count_sums> sums_by_worker_;
  mutable std::vector<name_row> rows_;
  std::map<stats::request_key, std::uint32_t> row_numbers_;  ///< index into rows_
  mutable std::vector<std::uint32_t> touched_;               ///< rows with pending figures
  std::uint64_t totals_generation_ = 1;                      ///< changes with totals_
};

}  // namespace swarmlet::master
