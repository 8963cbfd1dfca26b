#pragma once
// A worker: hub threads with their users, a spawner that moves the user count to the target it
// is given at the rate it is given, and a reporter that ships stats deltas. It lives on the
// thread of the hub that created it (the control hub); users live on the hub threads.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/config/scenario.hpp"
#include "common/green/event.hpp"
#include "common/green/green_thread.hpp"
#include "common/green/hub.hpp"
#include "common/green/semaphore.hpp"
#include "hub_thread.hpp"
#include "proto/messages.hpp"
#include "user_load.hpp"

namespace swarmlet::worker {

struct runtime_options {
  int threads = 1;
  std::string worker_id = "local";
  std::chrono::milliseconds report_interval{1000};
  green::hub_options hub;
  /// Called (on the control hub) when the users reach a spawn command's target.
  spawn_complete_callback on_spawn_complete;
};

class runtime final : public user_load {
 public:
  runtime(std::shared_ptr<const config::scenario> scenario, runtime_options options,
          proto::report_sink& sink);
  ~runtime() override;

  /// Moves toward the command's user counts at its rate (replacing any ramp in progress).
  void spawn(const proto::spawn_command& command) override;
  /// Stops every user gracefully, then delivers the final report of the run.
  void stop(std::uint64_t run_id) override;
  bool stopping() const noexcept override;

  int users() const noexcept override { return total_users_; }
  /// Requests whose stats this worker has sent (all runs): its own count, for cross-checks.
  std::uint64_t requests_reported() const noexcept override { return requests_reported_; }
  /// The run of the last spawn command (0: none yet).
  std::uint64_t current_run() const noexcept override { return run_id_; }
  int threads() const noexcept { return static_cast<int>(threads_.size()); }

 private:
  void spawner_loop();
  void reporter_loop();
  void change_one(bool start, const std::string& cls);
  /// Every hub thread's delta, merged (parks the calling green thread meanwhile).
  stats::stats_table collect();
  int count_running();
  /// Delivers the delta since the last report, saying it follows spawn command `command_id`.
  void deliver(bool final, std::uint64_t command_id);
  std::size_t class_index(const std::string& name) const;

  std::shared_ptr<const config::scenario> scenario_;
  runtime_options options_;
  proto::report_sink& sink_;
  green::hub& control_;
  std::vector<std::unique_ptr<hub_thread>> threads_;
  // Spawner state (control hub only).
  proto::spawn_command target_;
  std::map<std::string, int> current_;
  std::vector<std::map<std::string, int>> per_thread_;
  int total_users_ = 0;
  std::uint64_t next_user_id_ = 1;
  green::event<> retarget_;
  bool stopping_ = false;
  bool open_model_ = false;
  std::uint64_t run_id_ = 0;
  std::uint64_t sequence_ = 0;
  std::uint64_t requests_reported_ = 0;
  std::uint64_t run_requests_sent_ = 0;  ///< in this run's reports, for stats_report::requests_sent
  green::semaphore delivering_{1};       // reports leave in sequence order
  std::uint64_t command_id_ = 0;         ///< of the last spawn command
  /// Stops draining users before their final report (one, or two when a spawn and another
  /// stop came meanwhile).
  std::vector<green::green_thread<void>> stoppers_;
  green::green_thread<void> spawner_;
  green::green_thread<void> reporter_;
};

/// Makes a runtime per scenario with `options` (on_spawn_complete is the factory's argument).
user_load_factory runtime_factory(runtime_options options);

}  // namespace swarmlet::worker
