#pragma once
// One OS thread of a worker: its own hub, its own stats table (recorded without locks), and
// the users that live on it. Everything here runs on that thread; other threads reach it only
// through post().
#include <cstdint>
#include <functional>
#include <future>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "arrival_scheduler.hpp"
#include "common/config/arrival_plan.hpp"
#include "common/config/scenario.hpp"
#include "common/green/event.hpp"
#include "common/green/green_thread.hpp"
#include "common/green/hub.hpp"
#include "common/green/operations.hpp"
#include "common/script/engine.hpp"
#include "common/script/user_class.hpp"
#include "common/stats/stats_table.hpp"
#include "script_user.hpp"
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
  /// The open model: runs this thread's share of the arrival plan (see arrival_scheduler),
  /// making users with ids from `first_user_id` on. Replaces any schedule in progress; a plan
  /// without arrivals ends it.
  void set_arrival(const config::arrival_plan& plan, std::uint64_t first_user_id);
  int running_users() const noexcept { return running_; }
  /// What was recorded since the last call (resets the thread's table in place).
  stats::stats_table take_delta() { return stats_.take_delta(); }

 private:
  struct live_user {
    std::unique_ptr<user_runner> runner;    // a YAML user, or
    std::unique_ptr<script_user> scripted;  // a scripted one
    bool stop_asked = false;
    void stop() {
      stop_asked = true;
      if (runner) runner->stop();
      if (scripted) scripted->stop();
    }
  };
  void main(green::hub_options options);
  /// Makes a user of the class and its green thread, closed or open model.
  user_runner& launch_user(std::size_t class_index, std::uint64_t user_id, bool open_model);
  /// Makes a scripted user of the class and its green thread (closed model).
  void launch_scripted_user(std::size_t class_index, const user_options& o);

  int index_;
  std::shared_ptr<const config::scenario> scenario_;
  green::hub* hub_ = nullptr;  // set on the thread before `ready_` is released
  stats::stats_table stats_;
  std::shared_ptr<green::tls_context> tls_;
  script::engine* scripts_ = nullptr;  // when the scenario has scripted users (lives in main())
  std::map<std::size_t, script::user_class> classes_;  // scripted class index -> its Lua class
  std::map<std::size_t, std::list<live_user>> users_;  // class index -> users, oldest first
  int running_ = 0;
  arrival_scheduler arrivals_;  // the open model
  green::event<> quit_;
  std::promise<void> ready_;
  std::thread thread_;
};

}  // namespace swarmlet::worker
