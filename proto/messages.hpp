#pragma once
// What the master and its workers say to each other. `swarmlet run` passes these in memory;
// distributed mode carries the same structs over ZeroMQ.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/config/arrival_plan.hpp"
#include "common/stats/exception_table.hpp"
#include "common/stats/stats_table.hpp"
#include "id_ranges.hpp"

namespace swarmlet::proto {

/// Rows of one data file with `order: unique` that a worker may use: each row goes to at most
/// one iteration in the whole test, so the master leases disjoint rows to its workers.
struct row_lease {
  id_ranges rows;      ///< row indices (0-based) leased to this worker in the run so far
  bool final = false;  ///< every row is leased: no more will come, to any worker
  friend bool operator==(const row_lease&, const row_lease&) = default;
};

/// The worker's absolute target, not a delta: repeating it, or receiving it late, is harmless.
struct spawn_command {
  std::uint64_t run_id = 0;
  /// Numbered by the master, increasing within a run: a report says the last one it followed,
  /// so the master can tell the final report of this command from an older one.
  std::uint64_t command_id = 0;
  std::map<std::string, int> users_per_class;  ///< user class name -> users on this worker
  /// User class name -> the ids of its users on this worker (`${user_id}`, unique in the whole
  /// test; as many as users_per_class says). A class without ids here: the worker numbers its
  /// users itself (from 1, unique on this worker only).
  std::map<std::string, id_ranges> user_ids;
  double spawn_rate = 1;  ///< users per second on this worker
  /// How long after the command its ramp begins: the workers' ramps interleave (the worker
  /// after workers holding a fraction f of the test's changes begins f of its own interval,
  /// 1 / spawn_rate, later). All at 0, n workers started n users at once.
  double spawn_delay_s = 0;
  /// The open model when set: the whole test's arrival plan from now on, with this worker's
  /// user budget as its max_users (users_per_class unused). Of every arrival_threads arrivals
  /// of the plan (places: a worker has one per hub thread, at most one per user id), the
  /// worker's take theirs from arrival_first_thread on, one per place
  /// (config::arrival_plan::share), so that the test's threads take the plan's arrivals in
  /// turn.
  std::optional<config::arrival_plan> arrival;
  /// Numbered by the master for each plan it sends (a stage, a share among other workers): a
  /// command with the plan the worker runs under the same number only renews its leases; under
  /// another, even an equal plan (two stages alike) runs from now. Equal plans were taken for
  /// one, and the second stage of a hold split in two sent no arrivals (hunt: 200 of 400).
  std::uint64_t arrival_plan_id = 0;
  int arrival_first_thread = 0;
  int arrival_threads = 1;
  /// The open model: the ids its arrival users take (at most arrival->max_users of them).
  id_ranges arrival_ids;
  /// `${worker_index}`: 0-based, kept by the worker for the whole run (so it may reach
  /// worker_count after another worker left; a newcomer takes the lowest free one).
  int worker_index = 0;
  int worker_count = 1;  ///< `${worker_count}`: the workers in the test now
  /// User class name -> its rows of an `order: unique` data file.
  std::map<std::string, row_lease> data_rows;
  /// What main.lua's setup() returned, as msgpack (empty: no setup, or it returned nothing):
  /// scripted users see it as u.setup. The same in every command of a run.
  std::string setup_data;
  /// The run's stats resets so far (worker_control::reset_stats): a worker that joins after
  /// one, or missed it, numbers its reports from there.
  std::uint64_t stats_resets = 0;
};

/// How busy the worker's hub threads were, by the busiest of them at a report: a hub thread
/// short of CPU, or whose loop its own users' work kept from polling, adds that delay to every
/// response time it measures (the master warns of it). Threads are numbered from 0.
struct hub_strain {
  /// The most a thread's number may be (a worker has at most 4,096 hub threads).
  static constexpr int max_thread = 4095;
  /// The most a turn may be said to last: a day.
  static constexpr double max_turn_ms = 86'400'000;
  int busiest_thread = 0;  ///< the hub thread that used the most CPU
  /// Its CPU over its last window of a second or more (100: it ran all the time; at most 100).
  double busiest_cpu_percent = 0;
  int blocked_thread = 0;  ///< the hub thread whose loop went the longest without polling
  /// How long, counting only the time that thread surely ran itself (green::busy_reading's
  /// longest_turn_cpu), since the previous report.
  double blocked_ms = 0;
  bool operator==(const hub_strain&) const = default;
};

/// Stats recorded since the previous report of the same worker and run.
struct stats_report {
  std::string worker_id;
  std::uint64_t run_id = 0;
  /// The worker process's (hello_payload::incarnation), 0: not said. A report of a process
  /// that died and was restarted under the same id can arrive after the new process's hello:
  /// it is told apart by this, not taken for the new process's (whose numbering starts again).
  std::uint64_t incarnation = 0;
  std::uint64_t sequence = 0;    ///< 1, 2, 3... per worker and run: a gap is a lost report
  bool final = false;            ///< every user has stopped (at the end of the run, or on its own)
  std::uint64_t command_id = 0;  ///< the last spawn command the worker followed before it
  /// The run's stats resets the worker had been told of when its requests were made: the
  /// master counts none of a report from before its latest reset.
  std::uint64_t stats_resets = 0;
  int users = 0;  ///< users running on the worker when it was taken
  /// The most users running on the worker at once since its previous report (at least
  /// `users`): a test shorter than a report interval, or a stage's top between two reports,
  /// still shows in the master's peak.
  int peak_users = 0;
  /// The worker process's CPU since its previous reading (100: one core). A report stands in
  /// for the worker's heartbeat, so it says what a heartbeat would.
  double cpu_percent = 0;
  hub_strain hubs;  ///< how busy its hub threads were since its previous report
  /// What the worker warns of since its previous report, for the master to say naming it
  /// (e.g. more users than its machine has local ports): a remote worker's console is not
  /// where its user looks. Each is one line, said once in a run.
  static constexpr std::size_t max_warnings = 8;
  static constexpr std::size_t max_warning_bytes = 1024;
  std::vector<std::string> warnings;
  /// Requests in this run's reports so far, this one included: the master tells from it how
  /// many requests the reports it never received held (lost, counted, not guessed).
  std::uint64_t requests_sent = 0;
  /// The ids of the users alive on the worker when it was taken (running, or stopping and not
  /// yet gone): the master hands none of them to another user until they are gone.
  id_ranges live_user_ids;
  /// User class name -> rows of its `order: unique` data file used in this run (so far, in
  /// total: not a delta). A worker uses its leased rows lowest first.
  std::map<std::string, std::uint64_t> data_rows_used;
  stats::stats_table delta;
  /// Exceptions users raised since the previous report (at most
  /// exception_table::default_max_distinct distinct ones, the rest in its "other" row).
  stats::exception_table exceptions;
};

/// The master's side of a worker: where it sends commands.
class worker_control {
 public:
  virtual ~worker_control() = default;
  virtual void spawn(const spawn_command& command) = 0;
  /// Stops every user (gracefully: in-flight requests finish), then sends the final report.
  virtual void stop(std::uint64_t run_id) = 0;
  /// The master reset its stats (Locust's "reset stats"), for the `resets`th time in the run:
  /// the worker reports what its users did before at once, under the resets before, and
  /// numbers its later reports with `resets`.
  virtual void reset_stats(std::uint64_t run_id, std::uint64_t resets) = 0;
};

/// The worker's side of the master: where it sends reports.
class report_sink {
 public:
  virtual ~report_sink() = default;
  virtual void deliver(stats_report report) = 0;
};

}  // namespace swarmlet::proto
