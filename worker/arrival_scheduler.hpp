#pragma once
// The open model on one hub thread: turns the thread's share of the arrival plan into intended
// start times, hands each arrival to an idle user (making users up to the budget), and counts
// the arrivals no user could take as dropped iterations. A hub with no spare time makes no more
// users, nor one that has as many as it needed lately (user_growth_limit): arrivals wait for
// the ones it has (see wait_for_a_busy_user()). The generator's lag is
// measured where an iteration really starts, against the intended time given here
// (user_runner::run_open and script_user::run_open).
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <unordered_set>
#include <vector>

#include "class_rotation.hpp"
#include "common/config/arrival_plan.hpp"
#include "common/config/scenario.hpp"
#include "common/green/clock.hpp"
#include "common/green/event.hpp"
#include "common/green/green_thread.hpp"
#include "common/stats/stats_table.hpp"
#include "open_user.hpp"
#include "proto/id_ranges.hpp"
#include "user_growth_limit.hpp"

namespace swarmlet::worker {

/// The type of the row that counts the dropped iterations of a scripted class (named after it).
inline constexpr const char* dropped_script_iteration = "ITERATION";

/// One run of a plan from `start`: when each arrival is due. Pure (no hub, no clock read), so
/// it can be tested on its own.
class arrival_schedule {
 public:
  arrival_schedule(const config::arrival_plan& plan, green::time_point start) noexcept;
  /// The next arrival's intended start; none when no more are due (a ramp down to 0).
  std::optional<green::time_point> next() noexcept;
  /// Arrivals handed out by next() so far.
  std::uint64_t issued() const noexcept { return k_; }

 private:
  /// The plan without its end: the end is fixed for a plan, so it is worked out once (ends_at_)
  /// rather than for every arrival.
  config::arrival_plan unbounded_;
  std::uint64_t ends_at_;  ///< arrivals due before the plan's end (UINT64_MAX: no end)
  green::time_point start_;
  std::uint64_t k_ = 0;
};

class arrival_scheduler {
 public:
  /// Makes one open-model user of class `class_index` on the hub and returns it (null when it
  /// cannot be made); its green thread calls on_idle() when ready for an iteration and
  /// user_gone() when it ends.
  using make_user_fn = std::function<open_user*(std::size_t class_index, std::uint64_t id)>;
  /// When the hub last had nothing to run (see wait_for_a_busy_user()).
  using last_idle_fn = std::function<green::time_point()>;

  /// `scenario` and `stats` must outlive the scheduler; everything runs on one hub thread.
  /// The hub is busy when it has not idled for hub_busy_window, and busy since a time when it
  /// has not idled since; without `last_idle`, the hub's own measure says when it idled. Once
  /// an arrival has waited `max_wait_for_a_busy_user` for a busy user, it is dropped when the
  /// next arrival finds no idle user, if the hub has been busy since it was due; users are made
  /// for it otherwise. A user that frees up first still takes it.
  arrival_scheduler(int thread_index, const config::scenario& scenario, stats::stats_table& stats,
                    make_user_fn make_user, last_idle_fn last_idle = {},
                    green::duration max_wait_for_a_busy_user = std::chrono::milliseconds(100));
  arrival_scheduler(const arrival_scheduler&) = delete;
  arrival_scheduler& operator=(const arrival_scheduler&) = delete;

  /// Runs `plan` from now, replacing any schedule in progress; a plan without arrivals ends it.
  /// Users made for it take the lowest free ids of `user_ids`; a user whose id is no longer
  /// among them is stopped (the master gave the id to another worker's budget).
  void set_plan(const config::arrival_plan& plan, const proto::id_ranges& user_ids);
  /// Ends the schedule; the iterations still waiting for a user are counted as dropped.
  void stop();
  /// A user is ready for its next iteration: it gets a waiting one, or joins the idle users.
  void on_idle(open_user& u);
  /// A user made by this scheduler has ended.
  void user_gone(const open_user& u);

  int users() const noexcept { return users_; }
  /// Arrivals due that wait for a user.
  std::size_t waiting() const noexcept { return pending_.size(); }
  /// Times the schedule has woken to release arrivals (each release is a batch: see loop()).
  std::uint64_t wakes() const noexcept { return wakes_; }

 private:
  static constexpr int pre_allocated_users = 64;  ///< per hub thread, made before the schedule
  static constexpr int max_users_starting = 8;    ///< users being made at once when more are needed
  /// The least time between two wakes of the schedule (see loop()).
  static constexpr green::duration batch_gap = std::chrono::microseconds(100);
  /// A hub that has not idled for this long has no spare time (the generator's lag goal:
  /// beyond it, an iteration is late).
  static constexpr green::duration hub_busy_window = std::chrono::milliseconds(1);

  void loop();
  /// Makes a user with the lowest free id; false when no id (or no unique data row) is left.
  bool make_user();
  /// One arrival at `due`: to an idle user, to a busy user or one being made, or dropped.
  void arrive(green::time_point due);
  /// Whether an arrival that finds no idle user at `now` should wait for one of the users there
  /// are, rather than make one.
  bool wait_for_a_busy_user(green::time_point now);
  /// Whether the hub has had no spare time since `t` (it has not idled since).
  bool hub_busy_since(green::time_point t) const;
  /// When the hub last idled: last_idle_'s answer when given (tests), else the hub's own.
  green::time_point last_idle() const;
  /// Drops the arrivals that by `now` have waited max_wait_for_a_busy_user_ on a hub busy all
  /// along.
  void drop_arrivals_waited_too_long(green::time_point now);
  /// Counts an arrival that no user can run.
  void drop();
  int busy_users() const noexcept {
    return users_ - starting_users() - static_cast<int>(idle_.size());
  }
  int starting_users() const noexcept { return static_cast<int>(starting_.size()); }

  int thread_index_;
  const config::scenario& scenario_;
  stats::stats_table& stats_;
  make_user_fn make_user_;
  last_idle_fn last_idle_;
  green::duration max_wait_for_a_busy_user_;                // then dropped, or users are made again
  class_rotation class_of_id_;                              // by user class weight
  std::discrete_distribution<std::size_t> pick_drop_task_;  // by task weight of the first class
  std::mt19937_64 drop_rng_;
  config::arrival_plan plan_;
  int users_ = 0;
  user_growth_limit growth_limit_{pre_allocated_users};
  std::uint64_t wakes_ = 0;
  std::unordered_set<const open_user*> starting_;  // made, on_start not done yet
  proto::id_ranges ids_;                           // the ids this thread's users may take
  std::map<std::uint64_t, open_user*> made_;       // alive, by id
  bool rows_ran_out_ = false;  // a user found no unique data row: making more would not help
  std::deque<open_user*> idle_;
  std::deque<green::time_point> pending_;  // iterations waiting for a user, busy or being made
  green::event<> plan_changed_;
  green::green_thread<void> loop_;
};

}  // namespace swarmlet::worker
