#include "arrival_scheduler.hpp"

#include <algorithm>
#include <chrono>

#include "common/green/hub.hpp"
#include "common/green/operations.hpp"

namespace swarmlet::worker {
namespace {

template <class Items, class Weight>
std::discrete_distribution<std::size_t> by_weight(const Items& items, Weight weight) {
  std::vector<int> weights;
  for (const auto& item : items) weights.push_back(weight(item));
  return std::discrete_distribution<std::size_t>(weights.begin(), weights.end());
}

}  // namespace

arrival_schedule::arrival_schedule(const config::arrival_plan& plan,
                                   green::time_point start) noexcept
    : unbounded_(plan),
      ends_at_(plan.until ? plan.arrivals_by(*plan.until) : UINT64_MAX),
      start_(start) {
  unbounded_.until.reset();
}

std::optional<green::time_point> arrival_schedule::next() noexcept {
  if (k_ >= ends_at_) return std::nullopt;
  const auto offset = unbounded_.offset_s(k_);
  // Beyond 1e9 s (31 years) is never: it also keeps the duration within the clock's range.
  if (!offset || *offset > 1e9) return std::nullopt;
  ++k_;
  return start_ +
         std::chrono::duration_cast<green::duration>(std::chrono::duration<double>(*offset));
}

arrival_scheduler::arrival_scheduler(int thread_index, const config::scenario& scenario,
                                     stats::stats_table& stats, make_user_fn make_user,
                                     last_idle_fn last_idle,
                                     green::duration max_wait_for_a_busy_user)
    : thread_index_(thread_index),
      scenario_(scenario),
      stats_(stats),
      make_user_(std::move(make_user)),
      last_idle_(std::move(last_idle)),
      max_wait_for_a_busy_user_(max_wait_for_a_busy_user),
      class_of_id_([&] {
        std::vector<int> weights;
        for (const auto& u : scenario.users) weights.push_back(u.weight);
        return weights;
      }()),
      pick_drop_task_(scenario.users.empty() ? std::discrete_distribution<std::size_t>()
                                             : by_weight(scenario.users.front().tasks,
                                                         [](const auto& t) { return t.weight; })) {}

void arrival_scheduler::set_plan(const config::arrival_plan& plan,
                                 const proto::id_ranges& user_ids) {
  plan_ = plan;
  ids_ = user_ids;
  for (auto& [id, u] : made_)
    if (!ids_.contains(id)) u->stop();
  if (!loop_.valid() || loop_.dead()) {
    loop_ = green::spawn([this] { loop(); });
  } else if (!plan_changed_.ready()) {
    plan_changed_.send();
  }
}

void arrival_scheduler::stop() {
  plan_ = {};
  // Iterations that came due and still wait for a user never run: dropped, not forgotten.
  for (std::size_t i = 0; i < pending_.size(); ++i) drop();
  pending_.clear();
  if (!plan_changed_.ready()) plan_changed_.send();
}

bool arrival_scheduler::make_user() {
  if (rows_ran_out_) return false;
  proto::id_ranges free = ids_;
  for (const auto& [id, u] : made_) free.erase(id);
  const auto id = free.lowest();
  if (!id) return false;
  // A new user's class follows from its id, by weight (class_rotation). It was drawn from a
  // generator seeded with the id, whose first draws from small ids were poorly spread: classes
  // of equal weight split 10:20, the second class always twice the first.
  const std::size_t class_index = class_of_id_.class_of(*id);
  open_user* u = make_user_(class_index, *id);
  if (u == nullptr) return false;
  made_[*id] = u;
  ++users_;
  starting_.insert(u);
  return true;
}

void arrival_scheduler::on_idle(open_user& u) {
  starting_.erase(&u);
  if (!pending_.empty() && !u.stopping()) {
    u.assign(pending_.front());
    pending_.pop_front();
  } else {
    idle_.push_back(&u);
  }
}

void arrival_scheduler::user_gone(const open_user& u) {
  --users_;
  if (auto it = made_.find(u.id()); it != made_.end() && it->second == &u) made_.erase(it);
  if (u.ran_out_of_rows()) {
    rows_ran_out_ = true;
    // The idle users of its class take their rows from the same lease, which has none left
    // (they take one at their first arrival): each would stop at its next arrival, dropping
    // it, and the test, which ends once every user has stopped, idled until its run time.
    // One holding a row it took for on_start stays, for an arrival to use it (review).
    const std::size_t its_class = class_of_id_.class_of(u.id());
    std::vector<open_user*> same_class;
    for (open_user* i : idle_)
      if (class_of_id_.class_of(i->id()) == its_class) same_class.push_back(i);
    for (open_user* i : same_class)
      if (i->stop_if_rowless()) std::erase(idle_, i);
  }
  // An idle user given an arrival when no row was left: that iteration never ran, and must be
  // said dropped, not vanish (QA: 10 rows at 10/s ended at 1.4 s with 0 dropped).
  if (u.dropped_its_arrival()) drop();
  starting_.erase(&u);
  std::erase(idle_, &u);
}

void arrival_scheduler::loop() {
  // A new plan starts a new schedule; dropped iterations are attributed to the first class's
  // tasks by weight, from a seed per thread.
  drop_rng_.seed(static_cast<std::uint64_t>(thread_index_) + 17);
  bool first_schedule = true;
  for (;;) {
    plan_changed_.reset();
    const config::arrival_plan plan = plan_;
    // A pause (a stage at rate 0) or the stop: the next plan, if any, spawns the loop anew.
    if (!plan.has_arrivals()) return;
    // The schedule starts when the plan came, as the test's time does. Users are made first,
    // and the first schedule waits for them (up to 10 s), so that its first arrivals find them
    // ready; the arrivals due meanwhile (a slow on_start) then go at once, late, their lag
    // counted, or are dropped. Started after the wait, the schedule skipped them, neither run
    // nor dropped (QA: a 1 s on_start ran 20 of the 30 iterations due in 3 s at 10/s).
    const green::time_point plan_came = green::clock::now();
    while (users_ < std::min(plan.max_users, pre_allocated_users) && make_user()) {
    }
    const auto ready_by = plan_came + std::chrono::seconds(10);
    while (first_schedule && starting_users() > 0 && green::clock::now() < ready_by &&
           !plan_changed_.ready())
      plan_changed_.wait_for(std::chrono::milliseconds(1));
    if (plan_changed_.ready()) continue;
    first_schedule = false;
    arrival_schedule schedule(plan, plan_came);
    green::time_point woke = green::clock::now();
    growth_limit_.restart(woke, users_);
    for (;;) {
      const auto due = schedule.next();
      if (!due) {  // a ramp down to 0: no more arrivals until the next plan
        plan_changed_.wait();
        break;
      }
      // Arrivals come due in batches: after a wake, the next one is at least batch_gap later,
      // and it releases every arrival due by then. A wake per arrival would cost a timer and a
      // poll of the hub each (80,000 a second at a high rate); a batch adds at most batch_gap
      // to the generator's lag, which is measured per iteration all the same.
      const auto now = green::clock::now();
      if (now < *due) {
        const auto wake = std::max(*due, woke + batch_gap);
        if (plan_changed_.wait_for(wake - now)) break;
        woke = green::clock::now();
        ++wakes_;
      }
      if (plan_changed_.ready()) break;
      growth_limit_.note(now, busy_users());
      arrive(*due);
    }
  }
}

void arrival_scheduler::arrive(green::time_point due) {
  if (!idle_.empty()) {
    // The most recently idle user: a small hot set of users (and connections) serves a steady
    // rate, instead of every user ever made taking turns.
    open_user* u = idle_.back();
    idle_.pop_back();
    u->assign(due);
    return;
  }
  // One clock reading for both checks (in a backlog, this runs for every arrival): an arrival
  // the drop leaves waiting past max_wait_for_a_busy_user_ is one the hub has idled since.
  const green::time_point now = green::clock::now();
  drop_arrivals_waited_too_long(now);
  if (users_ < plan_.max_users &&
      (starting_users() >= max_users_starting || wait_for_a_busy_user(now) || make_user())) {
    // Below the user budget: the iteration waits for the next user to be free (its latency
    // still counts from `due`), and a few more users are made meanwhile unless the hub is
    // busy. Without an id (or a unique data row) left for another user, the budget is spent.
    pending_.push_back(due);
  } else {
    drop();
  }
}

bool arrival_scheduler::wait_for_a_busy_user(green::time_point now) {
  // Users are made for a server slower than the rate: while they wait on it, the hub has time to
  // spare. A hub with none is the bottleneck itself, and a new user (its green thread, its
  // connection, its first request) costs several iterations' work: each one made then makes the
  // backlog longer, and more users get made for it, until every user is busy and the hot set of
  // connections is gone. At 65,000 arrivals/s on one core, that ran a 3 ms start-up into 60 ms of
  // late iterations (bench/README.md, session 14). So while the hub is busy, an arrival waits for
  // one of the users there are. So it does while the hub has as many users as it lately needed
  // (growth_limit_), however idle: a stall of the host or of the target leaves the hub idle with
  // every user busy for a few milliseconds, and users made then stay. Once the oldest waiting
  // arrival is max_wait_for_a_busy_user_ late: if the hub has not idled since that arrival was due,
  // it is behind, and the arrivals that late are dropped when the next one finds no idle user (see
  // drop_arrivals_waited_too_long()). If it has idled meanwhile, its idle signal misleads it (it
  // idles, but not within hub_busy_window): users are made as before, the budget still bounds them,
  // and the wait bounds memory. With no busy user to wait for (all ended, or out of unique rows),
  // the arrival is made a user for, or dropped, at once, as before.
  if (rows_ran_out_ || users_ - starting_users() <= 0) return false;
  if (!pending_.empty() && now - pending_.front() >= max_wait_for_a_busy_user_ &&
      !hub_busy_since(pending_.front()))
    return false;
  if (users_ >= growth_limit_.limit()) return true;
  return now - last_idle() >= hub_busy_window;
}

bool arrival_scheduler::hub_busy_since(green::time_point t) const {
  return last_idle() < t;
}

green::time_point arrival_scheduler::last_idle() const {
  return last_idle_ ? last_idle_() : green::hub::get().last_idle();
}

void arrival_scheduler::drop_arrivals_waited_too_long(green::time_point now) {
  // A hub that has not idled for max_wait_for_a_busy_user_ is short of CPU: users made then
  // would cost more than they serve. A slow spell of the host that left a hub 100 ms behind
  // had it make users until every one was busy: at 150,000 arrivals/s a hub ran 97,600
  // iterations/s with 64 users and 69,000 with 2,000, so it fell further behind for the rest
  // of the run (lag p99 of 0.5 to 2.6 s at 55,000/s and up, session 16). Dropping the
  // arrivals that late (counted, as k6 drops an iteration no user can take) lets it catch up,
  // and the report says the generator could not keep up.
  while (!pending_.empty() && now - pending_.front() >= max_wait_for_a_busy_user_ &&
         hub_busy_since(pending_.front())) {
    pending_.pop_front();
    drop();
  }
}

void arrival_scheduler::drop() {
  // No user to run it: the iteration is dropped, and said so, never silently skipped.
  const config::user_spec& first = scenario_.users.front();
  if (!first.script.empty()) {
    // A script's tasks and their requests are known only to Lua: the class's own row.
    stats_.entry(dropped_script_iteration, first.name).dropped += 1;
    return;
  }
  const auto& task = first.tasks[pick_drop_task_(drop_rng_)];
  stats_.entry(task.steps.front().method, task.steps.front().name).dropped += 1;
}

}  // namespace swarmlet::worker
