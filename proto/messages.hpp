#pragma once
// What the master and its workers say to each other. `swarmlet run` passes these in memory;
// distributed mode carries the same structs over ZeroMQ.
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/config/arrival_plan.hpp"
#include "common/stats/stats_table.hpp"

namespace swarmlet::proto {

/// The worker's absolute target, not a delta: repeating it, or receiving it late, is harmless.
struct spawn_command {
  std::uint64_t run_id = 0;
  /// Numbered by the master, increasing within a run: a report says the last one it followed,
  /// so the master can tell the final report of this command from an older one.
  std::uint64_t command_id = 0;
  std::map<std::string, int> users_per_class;  ///< user class name -> users on this worker
  double spawn_rate = 1;                       ///< users per second on this worker
  /// The open model when set: this worker's share of the arrival plan, from now on
  /// (users_per_class unused).
  std::optional<config::arrival_plan> arrival;
};

/// Stats recorded since the previous report of the same worker and run.
struct stats_report {
  std::string worker_id;
  std::uint64_t run_id = 0;
  std::uint64_t sequence = 0;    ///< 1, 2, 3... per worker and run: a gap is a lost report
  bool final = false;            ///< every user has stopped (at the end of the run, or on its own)
  std::uint64_t command_id = 0;  ///< the last spawn command the worker followed before it
  int users = 0;                 ///< users running on the worker when it was taken
  /// Requests in this run's reports so far, this one included: the master tells from it how
  /// many requests the reports it never received held (lost, counted, not guessed).
  std::uint64_t requests_sent = 0;
  stats::stats_table delta;
};

/// The master's side of a worker: where it sends commands.
class worker_control {
 public:
  virtual ~worker_control() = default;
  virtual void spawn(const spawn_command& command) = 0;
  /// Stops every user (gracefully: in-flight requests finish), then sends the final report.
  virtual void stop(std::uint64_t run_id) = 0;
};

/// The worker's side of the master: where it sends reports.
class report_sink {
 public:
  virtual ~report_sink() = default;
  virtual void deliver(stats_report report) = 0;
};

}  // namespace swarmlet::proto
