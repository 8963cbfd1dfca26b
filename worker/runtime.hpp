#pragma once
// A worker: hub threads with their users, a spawner that moves the user count to the target it
// is given at the rate it is given, and a reporter that ships stats deltas. It lives on the
// thread of the hub that created it (the control hub); users live on the hub threads.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/config/scenario.hpp"
#include "common/green/event.hpp"
#include "common/green/green_thread.hpp"
#include "common/green/hub.hpp"
#include "common/green/semaphore.hpp"
#include "hub_thread.hpp"
#include "proto/messages.hpp"
#include "unique_rows.hpp"
#include "user_load.hpp"

namespace swarmlet::worker {

struct runtime_options {
  int threads = 1;
  std::string worker_id = "local";
  std::chrono::milliseconds report_interval{1000};
  green::hub_options hub;
  /// Called (on the control hub) when the users reach a spawn command's target.
  spawn_complete_callback on_spawn_complete;
  /// Told (on the control hub) what the operator of this worker's machine should know: that
  /// the users of a closed-model test will run out of local ports (port_range_warning; the
  /// open model's max_users is a budget, not the users it makes). May be empty: the master
  /// hears of it anyway, with the next report (stats_report::warnings).
  std::function<void(const std::string&)> warn;
};

class runtime final : public user_load {
 public:
  runtime(std::shared_ptr<const config::scenario> scenario, runtime_options options,
          proto::report_sink& sink);
  ~runtime() override;

  /// Moves toward the command's users at its rate (replacing any ramp in progress): starts the
  /// ids it lists that do not run here, stops exactly the users whose ids it no longer lists. A
  /// command that differs from the last only by its data rows lease leaves the ramp as it is.
  void spawn(const proto::spawn_command& command) override;
  /// Stops every user gracefully, then delivers the final report of the run.
  void stop(std::uint64_t run_id) override;
  void reset_stats(std::uint64_t run_id, std::uint64_t resets) override;
  bool stopping() const noexcept override;
  void leave_now() override;
  void close() override;

  int users() const noexcept override { return total_users_; }
  /// Requests whose stats this worker has sent (all runs): its own count, for cross-checks.
  std::uint64_t requests_reported() const noexcept override { return requests_reported_; }
  /// The run of the last spawn command (0: none yet).
  std::uint64_t current_run() const noexcept override { return run_id_; }
  int threads() const noexcept { return static_cast<int>(threads_.size()); }

 private:
  /// Where a started user runs.
  struct user_slot {
    std::string cls;
    std::size_t thread;
  };
  /// What every report says besides the stats: the exceptions and the ids of the users alive.
  struct snapshot {
    stats::stats_table delta;
    stats::exception_table exceptions;
    proto::id_ranges live_user_ids;
    int peak_users = 0;      ///< the sum of the threads' peaks since the last snapshot
    proto::hub_strain hubs;  ///< the busiest threads
  };
  void spawner_loop();
  /// Says port_range_warning for `users` (once a run).
  /// Says WARNING here and in the next report, for the master to say naming this worker.
  void warn_once(std::string warning);
  void warn_of_ports(std::uint64_t users);
  void reporter_loop();
  /// One step toward the target (a start, else a stop); false when there is none to take.
  bool change_one();
  void start_user(const std::string& cls, std::uint64_t id);
  void stop_user(std::uint64_t id);
  /// A user ended on its own (its unique data ran out): it is not started again in this run.
  void user_ended(std::uint64_t id);
  /// The ids each class is to run: the command's, or numbered here when it lists none.
  void plan_ids(const proto::spawn_command& command);
  /// A new run: its own unique data rows, its own numbering.
  void start_run(std::uint64_t run_id);
  /// Kills the spawner, the reporter and any stop still draining (they use the hub threads).
  void stop_control_threads();
  /// Tells every hub thread the worker's place in the test and the unique rows.
  void tell_threads();
  /// Every hub thread's delta and exceptions, merged, and the live user ids (parks meanwhile).
  snapshot collect();
  int count_running();
  /// A report split off at a stats reset: of run `run_id`, the last before reset `resets`.
  struct reset_boundary {
    std::uint64_t run_id = 0;
    std::uint64_t resets = 0;
  };
  /// Delivers the delta since the last report, saying it follows spawn command `command_id`;
  /// one at a time, in turn. `boundary`: the report is the last before that reset, which its
  /// later ones follow.
  void deliver(bool final, std::uint64_t command_id,
               std::optional<reset_boundary> boundary = std::nullopt);
  /// Takes and sends a report (its turn taken): the reports after it follow `resets_after`
  /// resets, if that is more than now.
  void send_report(bool final, std::uint64_t command_id, std::uint64_t resets_after);
  /// Moves to the run's `resets`th stats reset: what the users did before goes at once, in a
  /// report of the resets before.
  void take_resets(std::uint64_t resets);
  std::size_t class_index(const std::string& name) const;

  std::shared_ptr<const config::scenario> scenario_;
  runtime_options options_;
  proto::report_sink& sink_;
  green::hub& control_;
  std::vector<std::unique_ptr<hub_thread>> threads_;
  /// The run's request names with rows of their own, decided once for the threads and for the
  /// reports' merge: a name is whole in all of them or folded in all (worker_name_cap).
  std::shared_ptr<stats::name_admission> names_;
  // Spawner state (control hub only).
  proto::spawn_command target_;
  std::map<std::string, proto::id_ranges> wanted_;       ///< class -> ids to run
  std::map<std::uint64_t, user_slot> running_;           ///< started, not asked to stop
  std::map<std::string, proto::id_ranges> running_ids_;  ///< the same, by class
  std::vector<int> per_thread_;                          ///< users running per hub thread
  proto::id_ranges ended_;                            ///< users that ended on their own in this run
  std::vector<proto::id_ranges> thread_arrival_ids_;  ///< open model: the ids of each thread
  std::uint64_t next_local_id_ = 1;                   ///< for commands without ids
  std::vector<std::shared_ptr<unique_rows>> rows_;    ///< by class index; null: no unique data
  worker_identity identity_;
  std::shared_ptr<const std::string> setup_data_;  ///< the run's setup() value (msgpack)
  int total_users_ = 0;
  int peak_since_report_ = 0;     ///< the most of total_users_ since the last report
  bool had_open_model_ = false;   ///< this run ran the open model (its stop clears open_model_)
  bool warned_of_ports_ = false;  ///< port_range_warning said once in this run
  std::vector<std::string> warnings_;  ///< for the next report (stats_report::warnings)
  green::event<> retarget_;
  green::event<> report_now_;           ///< a report before the interval is up
  green::time_point last_report_at_{};  ///< of the reporter loop's last report
  /// Ids this worker gave up to a worker that joined, whose users here are still stopping.
  proto::id_ranges moving_ids_;
  bool stopping_ = false;
  bool open_model_ = false;
  bool leaving_now_ = false;  // leave_now(): a stop delivers its final report at once
  std::uint64_t run_id_ = 0;
  std::uint64_t sequence_ = 0;
  std::uint64_t requests_reported_ = 0;
  std::uint64_t run_requests_sent_ = 0;  ///< in this run's reports, for stats_report::requests_sent
  green::semaphore delivering_{1};       // reports leave in sequence order
  std::uint64_t command_id_ = 0;         ///< of the last spawn command
  std::uint64_t stats_resets_ = 0;       ///< the run's, as the reports say (see take_resets)
  std::uint64_t resets_asked_ = 0;       ///< the run's resets the master told of
  bool final_sent_ = false;              ///< the final report since the last spawn went
  /// Callbacks of the hub threads check it: one may come after the runtime is gone.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  /// Stops draining users before their final report (one, or two when a spawn and another
  /// stop came meanwhile).
  std::vector<green::green_thread<void>> stoppers_;
  std::vector<green::green_thread<void>> resetters_;  ///< reports of what came before a reset
  green::green_thread<void> spawner_;
  green::green_thread<void> reporter_;
};

/// Makes a runtime per scenario with `options` (on_spawn_complete is the factory's argument).
user_load_factory runtime_factory(runtime_options options);

}  // namespace swarmlet::worker
