#include "worker/arrival_scheduler.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <tuple>
#include <utility>
#include <vector>

#include "common/config/scenario_loader.hpp"
#include "common/green/event.hpp"
#include "common/green/hub.hpp"
#include "common/green/operations.hpp"
#include "worker/class_rotation.hpp"

namespace c = swarmlet::config;
namespace g = swarmlet::green;
namespace w = swarmlet::worker;
using namespace std::chrono_literals;

namespace {

const g::time_point t0 = g::time_point(1h);  // any start: the schedule never reads the clock

/// Arrivals the plan starts in [0, until) when it runs from t0.
std::uint64_t count(const c::arrival_plan& plan, g::duration until) {
  w::arrival_schedule s(plan, t0);
  std::uint64_t n = 0;
  while (auto at = s.next()) {
    if (*at >= t0 + until) break;
    ++n;
  }
  return n;
}

TEST(ArrivalSchedule, AConstantRateIsDueEvenly) {
  w::arrival_schedule s(c::arrival_plan::constant(200, 10), t0);
  EXPECT_EQ(*s.next(), t0) << "the first arrival is due at the start";
  EXPECT_EQ(*s.next(), t0 + 5ms);
  EXPECT_EQ(*s.next(), t0 + 10ms);
  EXPECT_EQ(s.issued(), 3u);
  EXPECT_EQ(count(c::arrival_plan::constant(200, 10), 1s), 200u);
  EXPECT_EQ(count(c::arrival_plan::constant(200, 10), 1s + 1us), 201u);
}

TEST(ArrivalSchedule, CountsWithinARampFollowTheIntegralOfTheRate) {
  // 50/s, ramping to 250/s over 4 s: 50 t + 25 t^2 arrivals by t (plus the one at 0).
  const c::arrival_plan plan{50, 250, 4s, 100};
  EXPECT_EQ(count(plan, 1s + 1us), 76u);
  EXPECT_EQ(count(plan, 2s + 1us), 201u);
  EXPECT_EQ(count(plan, 4s + 1us), 601u);
  EXPECT_EQ(count(plan, 6s + 1us), 1101u) << "then 250/s";
  for (auto t : {300ms, 1700ms, 3900ms, 5370ms})
    EXPECT_EQ(count(plan, t),
              plan.arrivals_by(std::chrono::duration_cast<std::chrono::microseconds>(t)))
        << "at " << t.count() << " ms";
  // Intended starts never go back in time.
  w::arrival_schedule s(plan, t0);
  auto last = t0;
  for (int k = 0; k < 1500; ++k) {
    const auto at = *s.next();
    EXPECT_GE(at, last);
    last = at;
  }
}

TEST(ArrivalSchedule, EndsWhereThePlanEndsForEveryShare) {
  // The schedule works out the end once; the plan decides it per arrival (offset_s): the two
  // agree on every arrival of every share, at a stage's end that falls on an arrival or not.
  for (const auto& [rate, rate_to, ramp_ms, until_ms, phase] :
       std::vector<std::tuple<double, double, int, int, double>>{{200, 200, 0, 1000, 0},
                                                                 {200, 200, 0, 1003, 0.25},
                                                                 {50, 250, 4000, 3000, 0.5},
                                                                 {250, 50, 4000, 5000, 0.9},
                                                                 {7, 3, 900, 2777, 0}}) {
    c::arrival_plan plan{rate, rate_to, std::chrono::milliseconds(ramp_ms), 10, phase};
    plan.until = std::chrono::milliseconds(until_ms);
    for (const auto& [first, part, whole] :
         std::vector<std::tuple<int, int, int>>{{0, 1, 1}, {0, 1, 3}, {1, 2, 3}, {2, 1, 3}}) {
      const c::arrival_plan share = plan.share(first, part, whole, 5);
      w::arrival_schedule s(share, t0);
      std::uint64_t k = 0;
      for (; auto offset = share.offset_s(k); ++k) {
        const auto at = s.next();
        ASSERT_TRUE(at) << "arrival " << k << " of share " << first << "+" << part << "/" << whole
                        << " of " << rate << "->" << rate_to << "/s";
        EXPECT_EQ(*at, t0 + std::chrono::duration_cast<g::duration>(
                                std::chrono::duration<double>(*offset)));
      }
      EXPECT_FALSE(s.next()) << "the schedule ends with the plan, after " << k << " arrivals";
      EXPECT_GT(k, 0u);
    }
  }
}

TEST(ArrivalSchedule, ARampDownToZeroEnds) {
  w::arrival_schedule s(c::arrival_plan{100, 0, 10s, 10}, t0);
  std::uint64_t n = 0;
  g::time_point last{};
  while (auto at = s.next()) {
    last = *at;
    ASSERT_LT(++n, 1000u);
  }
  EXPECT_EQ(n, 501u) << "100 -> 0 over 10 s holds 500 arrivals after the one at 0";
  EXPECT_LE(last, t0 + 10s);
  EXPECT_FALSE(s.next()) << "and stays ended";
  EXPECT_FALSE(w::arrival_schedule(c::arrival_plan{}, t0).next()) << "no plan, no arrival";
}

TEST(ArrivalSchedule, SharesOfAPlanAddUpToThePlan) {
  // A worker splits its plan over its hub threads: together they keep the plan's count, each
  // share taking every third of the plan's arrivals.
  const c::arrival_plan plan{60, 240, 3s, 9};
  const int threads = 3;
  for (auto until : {1s, 3s, 5s}) {
    std::uint64_t together = 0;
    for (int t = 0; t < threads; ++t) together += count(plan.share(t, 1, threads, 3), until + 1ms);
    EXPECT_EQ(together, count(plan, until + 1ms)) << until.count() << " s";
  }
}

TEST(ArrivalSchedule, AReSplitMidRampGoesOnFromWhereTheRampIs) {
  // The master spread 50 -> 250/s over 4 s across 3 hub threads; 2 s in, a worker left and the
  // rest of the ramp is spread over the 2 threads that remain. Together the two schedules keep
  // the plan's count: 600 in the ramp, 500 in the 2 s after. The rest's arrivals fall where the
  // plan's would have, so the re-share adds none (it used to add one per share, at its start).
  const c::arrival_plan plan{50, 250, 4s, 100};
  std::uint64_t first = 0;
  for (int t = 0; t < 3; ++t) first += count(plan.share(t, 1, 3, 34), 2s);
  const auto rest = plan.after(2s);
  EXPECT_EQ(rest, (c::arrival_plan{150, 250, 2s, 100}));
  std::uint64_t second = 0;
  for (int t = 0; t < 2; ++t) second += count(rest.share(t, 1, 2, 50), 4s + 1us);
  EXPECT_EQ(count(plan, 2s), 200u);
  EXPECT_NEAR(static_cast<double>(first), 200.0, 1.0);
  EXPECT_NEAR(static_cast<double>(second), 901.0, 1.0)
      << "400 in the ramp's rest, 500 after, and the one due at 6 s";
  EXPECT_NEAR(static_cast<double>(first + second), static_cast<double>(plan.arrivals_by(6s)), 1.0);
}

}  // namespace

TEST(ClassRotation, ClassesFollowTheirWeightsExactlyOverConsecutiveIds) {
  // Drawn from a generator seeded with the id, classes of weights 1 and 1 split ids 1-30 10:20.
  auto counts = [](std::vector<int> weights, std::uint64_t first, std::uint64_t n) {
    w::class_rotation rotation(weights);
    std::vector<int> out(weights.size(), 0);
    for (std::uint64_t id = first; id < first + n; ++id) ++out[rotation.class_of(id)];
    return out;
  };
  EXPECT_EQ(counts({1, 1}, 1, 30), (std::vector<int>{15, 15}));
  EXPECT_EQ(counts({1, 1}, 7, 2), (std::vector<int>{1, 1})) << "any two consecutive ids";
  EXPECT_EQ(counts({3, 1}, 1, 40), (std::vector<int>{30, 10}));
  EXPECT_EQ(counts({1, 3}, 1, 40), (std::vector<int>{10, 30})) << "whatever the order";
  EXPECT_EQ(counts({3, 1}, 5, 4), (std::vector<int>{3, 1})) << "in every cycle of the weights";
  EXPECT_EQ(counts({6, 2}, 1, 4), (std::vector<int>{3, 1})) << "a common divisor shortens it";
  EXPECT_EQ(counts({2, 3, 5}, 1, 100), (std::vector<int>{20, 30, 50}));
  EXPECT_EQ(counts({1000000, 1}, 1, 1000001), (std::vector<int>{1000000, 1}));
  // An id is always of one class, asked in any order (an id freed and made again).
  w::class_rotation rotation({3, 1});
  const std::size_t of_9 = rotation.class_of(9);
  rotation.class_of(2);
  rotation.class_of(1'000'000'007);
  EXPECT_EQ(rotation.class_of(9), of_9);
  EXPECT_EQ(w::class_rotation({5}).class_of(123), 0u);
}

/// What the test users share: an id, and a scheduler to say they are idle; they never stop.
class test_user : public w::open_user {
 public:
  test_user(w::arrival_scheduler& scheduler, std::uint64_t id) : scheduler_(scheduler), id_(id) {}
  void stop() override {}
  bool stopping() const noexcept override { return false; }
  bool ran_out_of_rows() const noexcept override { return false; }
  bool dropped_its_arrival() const noexcept override { return false; }
  bool stop_if_rowless() override { return false; }
  std::uint64_t id() const noexcept override { return id_; }

 protected:
  ~test_user() = default;
  w::arrival_scheduler& scheduler_;

 private:
  std::uint64_t id_;
};

/// An open-model user that runs each iteration at once: it notes when the iteration was due
/// and when it started, and is idle again; `enough` is sent at the `wanted`th iteration.
class instant_user final : public test_user {
 public:
  instant_user(w::arrival_scheduler& scheduler, std::uint64_t id,
               std::vector<std::pair<g::time_point, g::time_point>>& runs, std::size_t wanted,
               g::event<>& enough)
      : test_user(scheduler, id), runs_(runs), wanted_(wanted), enough_(enough) {}
  void assign(g::time_point intended) override {
    runs_.emplace_back(intended, g::clock::now());
    if (runs_.size() == wanted_) enough_.send();
    scheduler_.on_idle(*this);
  }

 private:
  std::vector<std::pair<g::time_point, g::time_point>>& runs_;
  std::size_t wanted_;
  g::event<>& enough_;
};

TEST(ArrivalScheduler, ReleasesDueArrivalsInBatchesNeverEarly) {
  g::hub hub;
  const c::scenario scenario = c::load_scenario_text(
      "target: http://127.0.0.1:9\n"
      "load: {arrival_rate: {rate: 40000/s, max_users: 4}}\n"
      "users: [{tasks: [{get: /}]}]\n",
      "t.yaml");
  swarmlet::stats::stats_table stats;
  std::vector<std::pair<g::time_point, g::time_point>> runs;  // (intended, started)
  g::event<> enough;                                          // 10,000 iterations ran
  std::vector<std::unique_ptr<instant_user>> users;
  std::unique_ptr<w::arrival_scheduler> scheduler;
  scheduler = std::make_unique<w::arrival_scheduler>(
      0, scenario, stats, [&](std::size_t, std::uint64_t id) -> w::open_user* {
        users.push_back(std::make_unique<instant_user>(*scheduler, id, runs, 10'000, enough));
        instant_user* u = users.back().get();
        g::spawn_n([&scheduler, u] { scheduler->on_idle(*u); });  // ready once made
        return u;
      });
  swarmlet::proto::id_ranges ids;
  for (std::uint64_t id = 0; id < 4; ++id) ids.insert(id);
  scheduler->set_plan(c::arrival_plan::constant(40'000, 4), ids);
  enough.wait();
  scheduler->stop();
  const auto wakes = scheduler->wakes();
  const auto span = runs.back().first - runs.front().first;
  for (const auto& [intended, started] : runs) ASSERT_GE(started, intended) << "never early";
  // Arrivals 25 µs apart: a wake for each would be 10,000 wakes; a wake at most every batch gap
  // (100 µs) is at most 2,500 in the 250 ms these arrivals span (fewer when the hub is late).
  EXPECT_LE(wakes, static_cast<std::uint64_t>(span / 100us) + 2);
  EXPECT_EQ(stats.total().dropped, 0u) << "users idle again at once: nothing waits";
}

/// An open-model user that holds each iteration until the test lets it go: it notes when the
/// iteration was due; `release()` makes it idle again.
class held_user final : public test_user {
 public:
  using test_user::test_user;
  void assign(g::time_point intended) override { intended_.push_back(intended); }
  void release() { scheduler_.on_idle(*this); }
  const std::vector<g::time_point>& intended() const { return intended_; }

 private:
  std::vector<g::time_point> intended_;
};

/// A scheduler whose users hold their iterations, on a hub whose idle times the test sets (or,
/// with `hub_measures_itself`, that the hub's own idle signal gives).
struct held_users_run {
  explicit held_users_run(g::duration max_wait_for_a_busy_user, bool hub_measures_itself = false)
      : max_wait(max_wait_for_a_busy_user), own_measure(hub_measures_itself) {}
  c::scenario scenario = c::load_scenario_text(
      "target: http://127.0.0.1:9\n"
      "load: {arrival_rate: {rate: 10000/s, max_users: 200}}\n"
      "users: [{tasks: [{get: /}]}]\n",
      "t.yaml");
  swarmlet::stats::stats_table stats;
  bool hub_busy = true;      // else the hub idles all the time
  g::time_point idled_at{};  // when a busy hub last idled (never, by default)
  g::duration max_wait;      // for a busy user
  bool own_measure;
  bool only_64_get_ready = false;  // users made after the first 64 stay starting (on_start)
  bool none_get_ready = false;     // every user stays starting until the test releases it
  std::vector<std::unique_ptr<held_user>> users;
  std::vector<g::time_point> made_at;
  std::unique_ptr<w::arrival_scheduler> scheduler = std::make_unique<w::arrival_scheduler>(
      0, scenario, stats,
      [this](std::size_t, std::uint64_t id) -> w::open_user* {
        users.push_back(std::make_unique<held_user>(*scheduler, id));
        made_at.push_back(g::clock::now());
        held_user* u = users.back().get();
        if (!none_get_ready && (!only_64_get_ready || users.size() <= 64))
          g::spawn_n([u] { u->release(); });  // ready once made
        return u;
      },
      own_measure ? w::arrival_scheduler::last_idle_fn()
                  : [this] { return hub_busy ? idled_at : g::clock::now(); },
      max_wait);

  void start() {
    swarmlet::proto::id_ranges ids;
    ids.insert(0, 199);
    scheduler->set_plan(c::arrival_plan::constant(10'000, 200), ids);
  }
  /// Waits (on the hub, in 1 ms naps) until `done()` holds; false if it never does (a guard
  /// against a hang, by default 10 s, far beyond what any check here needs).
  template <class Done>
  bool until(Done done, g::duration guard = 10s) {
    const auto give_up = g::clock::now() + guard;
    while (!done()) {
      if (g::clock::now() > give_up) return false;
      g::sleep(1ms);
    }
    return true;
  }
  std::size_t busy_users() const {
    std::size_t n = 0;
    for (const auto& u : users) n += u->intended().size();
    return n;
  }
  /// When the last of the arrivals the first 64 users hold was due.
  g::time_point last_held_due() const {
    g::time_point last{};
    for (std::size_t i = 0; i < 64; ++i) last = std::max(last, users[i]->intended().front());
    return last;
  }
};

TEST(ArrivalScheduler, ABusyHubMakesNoMoreUsersArrivalsWaitForTheOnesItHas) {
  g::hub hub;
  held_users_run run(1h);  // no fallback within the test, however slow the machine
  run.start();
  // The 64 users made before the schedule take the first 64 arrivals and hold them; the next
  // ones find no idle user, and a busy hub makes none.
  ASSERT_TRUE(run.until([&] { return run.scheduler->waiting() >= 30; }))
      << run.users.size() << " users made, " << run.scheduler->waiting() << " arrivals wait";
  EXPECT_EQ(run.users.size(), 64u);
  EXPECT_EQ(run.busy_users(), 64u);
  // A user let go takes the oldest waiting arrival (the 65th, due 100 µs after the 64th), so
  // none waits longer than it must.
  const auto waiting = run.scheduler->waiting();
  held_user& first = *run.users.front();
  first.release();
  ASSERT_EQ(first.intended().size(), 2u);
  EXPECT_EQ(run.scheduler->waiting(), waiting - 1);
  const auto after_64th = first.intended()[1] - run.last_held_due();
  EXPECT_GT(after_64th, 99us);
  EXPECT_LT(after_64th, 101us);
  // Once the hub has time to spare, users are made for the arrivals that wait.
  run.hub_busy = false;
  ASSERT_TRUE(run.until([&] { return run.users.size() > 64; }));
  EXPECT_EQ(run.stats.total().dropped, 0u) << "below the budget, arrivals wait, never drop";
  // Those still waiting when the schedule ends never run: they are counted, not forgotten.
  run.hub_busy = true;
  ASSERT_TRUE(run.until([&] { return run.scheduler->waiting() >= 10; }));
  const auto still_waiting = run.scheduler->waiting();
  run.scheduler->stop();
  EXPECT_EQ(run.stats.total().dropped, still_waiting);
}

TEST(ArrivalScheduler, OnAnIdleHubUsersAreMadeAsFastAsALastingBacklogNeedsThemNoFaster) {
  g::hub hub;
  held_users_run run(1h);  // no fallback within the test
  run.hub_busy = false;    // a target slower than the rate: the hub idles, every user is busy
  run.start();
  ASSERT_TRUE(run.until([&] { return run.users.size() > 128; })) << "no more users are made";
  // At 10,000/s the 65th arrival is due 6.4 ms after the first and the 129th 12.8 ms after, but
  // a backlog raises the limit only once it has lasted half a window (10 ms): from 64 users to
  // 128 after the first window, to 256 after the second. A stall of a few milliseconds would
  // make none.
  g::time_point first_due = g::time_point::max();
  for (std::size_t i = 0; i < 64; ++i)
    first_due = std::min(first_due, run.users[i]->intended().front());
  EXPECT_GE(run.made_at[64] - first_due, w::user_growth_limit::window);
  EXPECT_GE(run.made_at[128] - first_due, 2 * w::user_growth_limit::window);
  EXPECT_EQ(run.stats.total().dropped, 0u) << "below the budget, arrivals wait, never drop";
  run.scheduler->stop();
}

TEST(ArrivalScheduler, TheFirstScheduleStartsWithItsPlanNotWhenTheUsersHaveStarted) {
  g::hub hub;
  held_users_run run(1h);  // no fallback within the test
  run.none_get_ready = true;
  const auto plan_came = g::clock::now();
  run.start();
  // The users made before the schedule are in their on_start for 20 ms: the arrivals due
  // meanwhile are due all the same (QA: after a 1 s on_start, a 3 s test at 10/s ran 20
  // iterations, none dropped: the schedule had started 1 s late).
  ASSERT_TRUE(run.until([&] { return g::clock::now() - plan_came >= 20ms; }));
  ASSERT_EQ(run.users.size(), 64u);
  const auto released = g::clock::now();
  for (auto& u : run.users) u->release();
  ASSERT_TRUE(run.until([&] { return run.busy_users() == 64; }));
  g::time_point first_due = g::time_point::max();
  for (const auto& u : run.users) first_due = std::min(first_due, u->intended().front());
  EXPECT_GE(first_due, plan_came);
  EXPECT_LT(first_due, released - 15ms) << "the schedule started when the users were ready";
  EXPECT_GT(run.scheduler->waiting() + run.stats.total().dropped, 60u)
      << "the arrivals due during the 20 ms (200 at 10,000/s) wait, or are dropped";
  run.scheduler->stop();
}

TEST(ArrivalScheduler, APlanChangeMidRunKeepsArrivingWhileUsersAreStillStarting) {
  g::hub hub;
  held_users_run run(1h);  // no fallback within the test
  run.hub_busy = false;    // users are made for the backlog, and stay in their on_start
  run.only_64_get_ready = true;
  run.start();
  ASSERT_TRUE(run.until([&] { return run.users.size() > 64; })) << "no more users are made";
  // A new plan (a stage of the test) while users are starting: its schedule waited up to 10 s
  // for them, and the arrivals due meanwhile were never run nor counted as dropped.
  swarmlet::proto::id_ranges ids;
  ids.insert(0, 199);
  const auto before = run.scheduler->waiting();
  run.scheduler->set_plan(c::arrival_plan::constant(20'000, 200), ids);
  EXPECT_TRUE(run.until([&] { return run.scheduler->waiting() >= before + 100; }, 5s))
      << "no arrival came due under the new plan (" << run.scheduler->waiting() << " waiting)";
  run.scheduler->stop();
}

TEST(ArrivalScheduler, OnAHubBusyAllAlongAnArrivalWaitsOnlySoLongThenIsDropped) {
  g::hub hub;
  held_users_run run(100ms);  // the hub says it is busy throughout
  run.start();
  ASSERT_TRUE(run.until([&] { return run.stats.total().dropped > 0; })) << "arrivals wait for ever";
  // The 65th arrival was due 100 µs after the 64th; it is dropped once it has waited 100 ms,
  // and no user is made for it: a hub short of CPU would only fall further behind.
  EXPECT_GE(g::clock::now(), run.last_held_due() + 100ms);
  EXPECT_EQ(run.users.size(), 64u);
  // What waits is what came due in the last 100 ms, at 10,000/s.
  EXPECT_LE(run.scheduler->waiting(), 1001u);
  run.scheduler->stop();
}

TEST(ArrivalScheduler, AnArrivalThatWaitedOnAHubThatIdledMeanwhileHasUsersMadeForIt) {
  g::hub hub;
  held_users_run run(500ms);  // far beyond the few ms before the test says when the hub idled
  run.start();
  ASSERT_TRUE(run.until([&] { return run.scheduler->waiting() >= 30; }));
  // The hub idled once, just after the 65th arrival (the oldest waiting) was due, and has been
  // busy since (longer than the 1 ms window, as 30 more arrivals came due): it is not short of
  // CPU, only its idle signal says nothing recent. Nothing happens until that arrival has
  // waited its 500 ms; then users are made for it, and it is not dropped (the later ones, due
  // after the hub idled, are dropped as on a busy hub).
  const g::time_point idled = run.last_held_due() + 101us;  // the 65th is due 100 µs after
  run.idled_at = idled;
  ASSERT_EQ(run.stats.total().dropped, 0u)
      << "the test was held up past the max wait before it said when the hub idled";
  ASSERT_TRUE(run.until([&] {
    return run.users.size() > 64 && !run.users[64]->intended().empty();
  })) << "no user is made";
  EXPECT_GE(run.made_at[64], idled + 499ms) << "made before the arrival had waited";
  // The first user made takes the oldest waiting arrival: the 65th.
  const auto after_64th = run.users[64]->intended().front() - run.last_held_due();
  EXPECT_GT(after_64th, 99us);
  EXPECT_LT(after_64th, 101us);
  run.scheduler->stop();
}

TEST(ArrivalScheduler, OnAHubThatNeverIdlesLateArrivalsAreDroppedUsersAreMadeOnceItIdles) {
  g::hub hub;
  held_users_run run(100ms, true);
  // A thread that is always ready to run leaves the hub no poll that waits: it never idles.
  bool spin = true;
  auto spinner = g::spawn([&spin] {
    while (spin) g::sleep(0s);
  });
  run.start();
  ASSERT_TRUE(run.until([&] { return run.stats.total().dropped > 0; })) << "arrivals wait for ever";
  EXPECT_EQ(run.users.size(), 64u) << "a hub that never idles makes no user";
  // With the spinner gone the hub waits for the held users: it idles, and users are made.
  spin = false;
  spinner.wait();
  ASSERT_TRUE(run.until([&] { return run.users.size() > 64; }));
  run.scheduler->stop();
}

TEST(ArrivalScheduler, WithNoBusyUserToWaitForUsersAreMadeEvenOnABusyHub) {
  g::hub hub;
  held_users_run run(1h);  // no fallback within the test
  run.start();
  ASSERT_TRUE(run.until([&] { return run.scheduler->waiting() >= 10; }));
  ASSERT_EQ(run.users.size(), 64u);
  // Every user ends (as a scripted one might): the arrivals that wait have no one to wait for.
  for (const auto& u : run.users) run.scheduler->user_gone(*u);
  EXPECT_EQ(run.scheduler->users(), 0);
  ASSERT_TRUE(run.until([&] { return run.users.size() > 64; })) << "arrivals wait for no one";
  run.scheduler->stop();
}
