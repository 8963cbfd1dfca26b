#pragma once
// One OS thread of a worker: its own hub, its own stats table (recorded without locks), and
// the users that live on it. Everything here runs on that thread; other threads reach it only
// through post().
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <unordered_set>

#include "common/config/scenario.hpp"
#include "common/green/event.hpp"
#include "common/green/green_thread.hpp"
#include "common/green/hub.hpp"
#include "common/green/operations.hpp"
#include "common/stats/stats_table.hpp"
#include "user_runner.hpp"

namespace swarmlet::worker {

class hub_thread {
 public:
  /// Starts the thread; `scenario` must outlive it.
  hub_thread(int index, std::shared_ptr<const config::scenario> scenario,
             green::hub_options options);
  /// Stops every user (killing those still running after the grace period) and joins.
  ~hub_thread();
  hub_thread(const hub_thread&) = delete;
  hub_thread& operator=(const hub_thread&) = delete;

  /// Runs `call` on this thread's hub (from any thread). It must not block; it may spawn.
  void post(std::function<void()> call);

  // The rest is called on this thread only (inside post()).
  /// Starts one user of class `class_index`.
  void start_user(std::size_t class_index, std::uint64_t user_id);
  /// Asks the `n` newest users of the class to stop (gracefully).
  void stop_users(std::size_t class_index, int n);
  /// Asks every user to stop (and ends the open model's schedule).
  void stop_all_users();
  /// The open model: starts iterations on idle users at a rate going linearly from `rate` to
  /// `rate_to` over `ramp` (then staying there), making users up to `max_users`; an arrival
  /// with no user to run it is counted as dropped. Replaces any schedule in progress; a rate
  /// of 0 ends it.
  void set_arrival(double rate, double rate_to, std::chrono::microseconds ramp, int max_users,
                   std::uint64_t first_user_id);
  int running_users() const noexcept { return running_; }
  /// What was recorded since the last call (resets the thread's table in place).
  stats::stats_table take_delta() { return stats_.take_delta(); }

 private:
  struct live_user {
    std::unique_ptr<user_runner> runner;
    bool stop_asked = false;
  };
  void main(green::hub_options options);
  /// Makes a user of the class and its green thread, closed or open model.
  void launch_user(std::size_t class_index, std::uint64_t user_id, bool open_model);

  int index_;
  std::shared_ptr<const config::scenario> scenario_;
  green::hub* hub_ = nullptr;  // set on the thread before `ready_` is released
  stats::stats_table stats_;
  std::shared_ptr<green::tls_context> tls_;
  std::map<std::size_t, std::list<live_user>> users_;  // class index -> users, oldest first
  int running_ = 0;
  // The open model.
  static constexpr int pre_allocated_users = 64;  ///< per hub thread, made before the schedule
  static constexpr int max_users_starting = 8;    ///< users being made at once when more are needed
  int starting_users() const noexcept { return static_cast<int>(starting_.size()); }
  void arrival_loop();
  void start_open_user();
  double arrival_rate_ = 0;
  double arrival_rate_to_ = 0;
  std::chrono::microseconds arrival_ramp_{0};
  int max_open_users_ = 0;
  int open_users_ = 0;
  std::unordered_set<const user_runner*> starting_;  // made, on_start not done yet
  std::uint64_t next_open_user_id_ = 0;
  void on_idle(user_runner& u);
  std::deque<user_runner*> idle_;
  std::deque<green::time_point> pending_;  // iterations waiting for a user being made
  green::event<> rate_changed_;
  green::green_thread<void> scheduler_;
  green::event<> quit_;
  std::promise<void> ready_;
  std::thread thread_;
};

}  // namespace swarmlet::worker
