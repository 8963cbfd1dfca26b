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
#include <mutex>
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
#include "common/stats/exception_table.hpp"
#include "common/stats/name_admission.hpp"
#include "common/stats/stats_table.hpp"
#include "proto/id_ranges.hpp"
#include "script_user.hpp"
#include "unique_rows.hpp"
#include "user_runner.hpp"

namespace swarmlet::worker {

class hub_thread {
 public:
  /// Told on the hub thread when a user ends: `ran_out` when it ran out of unique data rows,
  /// else it was told to stop (a user that ends on its own otherwise is not told).
  using user_ended_fn = std::function<void(std::uint64_t user_id, bool ran_out)>;

  /// Starts the thread; `scenario` must outlive it. `names` decides the names its tables count
  /// in rows of their own, as every thread's of the worker (see start_run).
  hub_thread(int index, std::shared_ptr<const config::scenario> scenario,
             green::hub_options options, std::shared_ptr<stats::name_admission> names,
             user_ended_fn on_user_ended = {});
  /// Stops every user (killing those still running after the grace period) and joins.
  ~hub_thread();
  hub_thread(const hub_thread&) = delete;
  hub_thread& operator=(const hub_thread&) = delete;

  /// Runs `call` on this thread's hub (from any thread). It must not block; it may spawn. Once
  /// the thread has ended (after quit()), nothing runs it.
  void post(std::function<void()> call);

  // The rest is called on this thread only (inside post()).
  /// What users started from now on get: the worker's place in the test (users already running
  /// see it at their next iteration; scripts at once), each class's unique data rows (by class
  /// index; null for a class without) and setup()'s value for scripted users' u.setup (msgpack;
  /// null or empty: none).
  void set_run(worker_identity identity, std::vector<std::shared_ptr<unique_rows>> rows,
               std::shared_ptr<const std::string> setup_data = nullptr);
  /// Starts user `user_id` of class `class_index`.
  void start_user(std::size_t class_index, std::uint64_t user_id);
  /// Asks the user `user_id` to stop (gracefully); nothing when it does not run here.
  void stop_user(std::uint64_t user_id);
  /// Asks every user to stop (and ends the open model's schedule).
  void stop_all_users();
  /// When the thread ends, users still running are killed at once, without the grace period
  /// (also when it is ending already).
  void leave_without_grace() noexcept { leave_without_grace_ = true; }
  /// Ends the thread's users as the destructor does (a request timeout's grace for those still
  /// running, unless leave_without_grace), and calls `on_left` on this thread once they are
  /// gone or the grace is over, so that the destructor then joins at once. Called once.
  void quit(std::function<void()> on_left);
  /// The open model: runs this thread's share of the arrival plan (see arrival_scheduler),
  /// making users with the ids in `user_ids`. Replaces any schedule in progress; a plan
  /// without arrivals ends it.
  void set_arrival(const config::arrival_plan& plan, const proto::id_ranges& user_ids);
  int running_users() const noexcept { return running_; }
  /// The ids of the users alive here (running, or asked to stop and not yet gone).
  proto::id_ranges live_user_ids() const;
  /// The most users alive here at once since the last call (then: those alive now).
  int take_peak_users() {
    const int peak = peak_users_;
    peak_users_ = static_cast<int>(by_id_.size());
    return peak;
  }
  /// A new run: what the tables hold goes (its master ended the run before without it), and
  /// the users alive now, the run before's still ending their requests, record from now on in
  /// their run's tables, which no report reads: a request made for a run that is over counts
  /// in no later one. Called before the new run's users start. `names` is the run's admission
  /// of request names, shared by every thread of the worker.
  void start_run(std::shared_ptr<stats::name_admission> names);
  /// What was recorded in this run since the last call (resets the thread's tables in place).
  stats::stats_table take_delta();
  /// The exceptions this run's scripted users raised since the last call (emptied).
  stats::exception_table take_exceptions();
  /// How busy this thread was since the last call (its hub's busy_meter).
  green::busy_reading take_busy() { return green::hub::get().busy().take(green::clock::now()); }
  int index() const noexcept { return index_; }

 private:
  /// Where the users of one run record: each user keeps its run's for its life.
  struct run_tables {
    stats::stats_table stats;
    stats::exception_table exceptions;
  };
  struct live_user {
    std::shared_ptr<run_tables> tables;     // its run's (declared first: the user records
                                            // into them until it is gone)
    std::unique_ptr<user_runner> runner;    // a YAML user, or
    std::unique_ptr<script_user> scripted;  // a scripted one
    bool stop_asked = false;
    void stop() {
      stop_asked = true;
      as_open().stop();
    }
    open_user& as_open() {
      if (runner) return *runner;
      return *scripted;
    }
  };
  void main(green::hub_options options);
  /// What user `user_id` of the class starts with: its id, seed, the worker's place, its rows.
  /// Each start of a user has a seed of its own (see seed_base_).
  user_options options_of(std::uint64_t user_id, std::size_t class_index);
  /// Makes a user of the class (YAML or scripted) and its green thread, closed or open model;
  /// null when a scripted class cannot be loaded here (counted).
  open_user* launch_user(std::size_t class_index, std::uint64_t user_id, bool open_model);
  /// The Lua class of a scripted user class, loaded at its first user; null when it cannot be.
  const script::user_class* class_of(std::size_t class_index);
  /// A scripted user of `script` could not be made (Lua out of heap): a failure of type LUA
  /// and an exception in the given tables, as an error in its on_start would be.
  void record_script_error(stats::stats_table& stats, stats::exception_table& exceptions,
                           const std::string& script, const std::string& message);

  int index_;
  std::shared_ptr<const config::scenario> scenario_;
  std::mutex hub_mutex_;       // guards hub_ against the thread's end
  green::hub* hub_ = nullptr;  // set on the thread before `ready_` is released; null once it ends
  /// The thread's own records (the open model's dropped arrivals, scripts that fail to load):
  /// of the run now, as are run_'s, where its users record.
  stats::stats_table stats_;
  stats::exception_table exceptions_;
  std::shared_ptr<run_tables> run_;
  std::shared_ptr<green::tls_context> tls_;
  script::engine* scripts_ = nullptr;  // when the scenario has scripted users (lives in main())
  std::map<std::size_t, script::user_class> classes_;  // scripted class index -> its Lua class
  std::map<std::size_t, std::list<live_user>> users_;  // class index -> users, oldest first
  std::map<std::uint64_t, std::list<live_user>::iterator> by_id_;
  /// The users' seeds mix this draw from the system's randomness with the user's id and the
  /// count of users started before: ${uuid()}, ${random()} and random rows differ in every run,
  /// on every thread and for a user id started again (from the id alone, they repeated).
  std::uint64_t seed_base_;
  std::uint64_t users_started_ = 0;
  int peak_users_ = 0;  ///< see take_peak_users
  int running_ = 0;
  user_ended_fn on_user_ended_;
  worker_identity identity_;
  std::vector<std::shared_ptr<unique_rows>> rows_;  // by class index
  arrival_scheduler arrivals_;                      // the open model
  green::event<> quit_;
  std::function<void()> on_left_;  // quit()'s
  bool leave_without_grace_ = false;
  std::promise<void> ready_;
  std::thread thread_;
};

}  // namespace swarmlet::worker
