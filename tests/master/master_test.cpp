#include <gtest/gtest.h>

#include <memory>
#include <numeric>

#include "common/config/scenario_loader.hpp"
#include "common/green/event.hpp"
#include "common/green/hub.hpp"
#include "common/green/operations.hpp"
#include "master/aggregator.hpp"
#include "master/distribution.hpp"
#include "master/load_plan.hpp"
#include "master/test_runner.hpp"

namespace m = swarmlet::master;
using namespace std::chrono_literals;

namespace {

TEST(Distribution, SplitByWeightAddsUpAndStaysWithinOneOfTheExactShare) {
  for (int total = 0; total <= 60; ++total) {
    for (const std::vector<int>& weights : {std::vector<int>{1},
                                            {1, 1},
                                            {3, 1},
                                            {1, 2, 3},
                                            {5, 0, 5},
                                            {1, 1, 1, 1, 1, 1, 1},
                                            {100, 1}}) {
      const auto split = m::split_by_weight(total, weights);
      const long sum_w = std::accumulate(weights.begin(), weights.end(), 0L);
      EXPECT_EQ(std::accumulate(split.begin(), split.end(), 0), total);
      for (std::size_t i = 0; i < weights.size(); ++i) {
        const double exact = static_cast<double>(total) * weights[i] / sum_w;
        EXPECT_LT(std::abs(split[i] - exact), 1.0) << "total " << total << " class " << i;
      }
    }
  }
}

TEST(Distribution, UsersPerWorkerFollowTheirThreads) {
  for (int total = 0; total <= 40; ++total) {
    const auto per_class = m::users_per_class(total, {{"a", 3}, {"b", 1}});
    for (const std::vector<int>& threads : {std::vector<int>{1}, {1, 1, 1}, {2, 1}, {4, 2, 2, 1}}) {
      const auto split = m::users_per_worker(per_class, threads);
      std::map<std::string, int> back;
      std::vector<int> totals;
      for (const auto& w : split) {
        int t = 0;
        for (const auto& [name, n] : w) {
          back[name] += n;
          t += n;
        }
        totals.push_back(t);
      }
      for (const auto& [name, n] : per_class) EXPECT_EQ(back[name], n) << name;
      const int sum_t = std::accumulate(threads.begin(), threads.end(), 0);
      for (std::size_t i = 0; i < threads.size(); ++i)
        EXPECT_LT(std::abs(totals[i] - static_cast<double>(total) * threads[i] / sum_t), 1.0);
    }
  }
}

TEST(LoadPlan, StagesAddUpToTheRunTime) {
  swarmlet::config::load_spec l;
  l.spawn_rate = 5;
  l.stages = {{10s, 10, 0}, {20s, 50, 20}, {5s, 0, 0}};
  const auto p = m::plan_load(l);
  ASSERT_EQ(p.steps.size(), 3u);
  EXPECT_EQ(p.steps[1].at, std::chrono::microseconds(10s));
  EXPECT_EQ(p.steps[1].spawn_rate, 20);
  EXPECT_EQ(p.steps[2].spawn_rate, 20) << "a stage without a rate keeps the previous one";
  EXPECT_EQ(p.end, std::chrono::microseconds(35s));
  swarmlet::config::load_spec simple;
  simple.users = 7;
  EXPECT_FALSE(m::plan_load(simple).end.has_value());
}

TEST(LoadPlan, TheOpenModelFollowsItsRateStages) {
  swarmlet::config::load_spec l;
  l.arrival = swarmlet::config::arrival_spec{50, 20};
  l.stages = {{10s, 0, 0, 10}, {5s, 0, 0, 100}};
  const auto p = m::plan_load(l);
  ASSERT_EQ(p.steps.size(), 2u);
  ASSERT_TRUE(p.steps[0].arrival && p.steps[1].arrival);
  EXPECT_EQ(p.steps[0].arrival->rate, 50) << "the first stage ramps from the start rate";
  EXPECT_EQ(p.steps[0].arrival->rate_to, 10);
  EXPECT_EQ(p.steps[0].arrival->ramp, std::chrono::microseconds(10s));
  EXPECT_EQ(p.steps[1].arrival->rate, 10);
  EXPECT_EQ(p.steps[1].arrival->rate_to, 100);
  EXPECT_EQ(p.steps[1].users, 20) << "users carries max_users in the open model";
  EXPECT_EQ(p.steps[1].arrival->max_users, 20);
  EXPECT_EQ(p.end, std::chrono::microseconds(15s));
}

/// A worker that records its spawn commands and answers a stop with its final report.
class recording_worker final : public swarmlet::proto::worker_control {
 public:
  recording_worker(swarmlet::proto::report_sink& sink, std::string id) : sink_(sink), id_(id) {}
  void spawn(const swarmlet::proto::spawn_command& c) override {
    spawns.push_back(c);
    if (!spawned.ready()) spawned.send();
  }
  void stop(std::uint64_t run_id) override {
    swarmlet::proto::stats_report r;
    r.worker_id = id_;
    r.run_id = run_id;
    r.sequence = 1;
    r.final = true;
    sink_.deliver(std::move(r));
  }
  std::vector<swarmlet::proto::spawn_command> spawns;
  swarmlet::green::event<> spawned;

 private:
  swarmlet::proto::report_sink& sink_;
  std::string id_;
};

TEST(TestRunner, TheOpenModelSharesItsPlanByThreadsAndRespreadsTheRestOfARamp) {
  swarmlet::green::hub hub;
  auto s = std::make_shared<const swarmlet::config::scenario>(swarmlet::config::load_scenario_text(
      "target: http://127.0.0.1:1/\nload: {arrival_rate: {rate: 40/s, max_users: 10}, stages: "
      "[{duration: 4s, rate: 200/s}]}\nusers: [{tasks: [{get: /}]}]\n",
      "s.yaml"));
  m::test_runner runner(s, m::runner_options{});
  recording_worker one(runner, "one"), three(runner, "three");
  runner.add_worker(one, "one", 1);
  runner.add_worker(three, "three", 3);
  auto running = swarmlet::green::spawn([&] { return runner.run(); });
  ASSERT_TRUE(one.spawned.wait_for(5s) && three.spawned.wait_for(5s));
  ASSERT_EQ(one.spawns.size(), 1u);
  ASSERT_EQ(three.spawns.size(), 1u);
  // A quarter and three quarters of the rates; the budget of 10 split 3 + 7 (a tie of
  // remainders goes to the earlier worker).
  using swarmlet::config::arrival_plan;
  EXPECT_EQ(one.spawns[0].arrival, (arrival_plan{10, 50, 4s, 3}));
  EXPECT_EQ(three.spawns[0].arrival, (arrival_plan{30, 150, 4s, 7}));
  EXPECT_TRUE(one.spawns[0].users_per_class.empty()) << "no closed-model users";
  // Each worker's users take ids of their own: unique across workers, as in the closed model.
  EXPECT_EQ(one.spawns[0].arrival_ids, swarmlet::proto::id_ranges::span(1, 3));
  EXPECT_EQ(three.spawns[0].arrival_ids, swarmlet::proto::id_ranges::span(4, 10));

  swarmlet::green::sleep(50ms);  // into the ramp
  runner.remove_worker("three");
  ASSERT_EQ(one.spawns.size(), 2u);
  ASSERT_TRUE(one.spawns[1].arrival);
  const arrival_plan rest = *one.spawns[1].arrival;
  // All of the rest of the ramp, from the rate it has reached, now on the one worker left.
  EXPECT_EQ(rest.rate_to, 200);
  EXPECT_EQ(rest.max_users, 10);
  EXPECT_EQ(one.spawns[1].arrival_ids.intersection(three.spawns[0].arrival_ids),
            swarmlet::proto::id_ranges{})
      << "the ids of the users three may still run go to nobody";
  EXPECT_EQ(one.spawns[1].arrival_ids.size(), 10u);
  EXPECT_LT(rest.ramp, 4s - 50ms + 1ms);
  EXPECT_GT(rest.ramp, 3s);
  const double elapsed_s = 4.0 - std::chrono::duration<double>(rest.ramp).count();
  EXPECT_NEAR(rest.rate, 40 + 160 * elapsed_s / 4, 1e-6) << "the rate where the ramp is";

  runner.request_stop();
  EXPECT_EQ(running.wait(), 0);
}

swarmlet::proto::stats_report report(std::uint64_t seq, int requests, bool final = false) {
  swarmlet::proto::stats_report r;
  r.worker_id = "w1";
  r.run_id = 1;
  r.sequence = seq;
  r.final = final;
  for (int i = 0; i < requests; ++i) r.delta.entry("GET", "/").record(1000, 0, false);
  return r;
}

TEST(Aggregator, CountsGapsAsLostUntilTheLateReportArrives) {
  m::aggregator a(1);
  EXPECT_TRUE(a.add(report(1, 5)));
  EXPECT_TRUE(a.add(report(3, 5)));
  EXPECT_EQ(a.lost_reports(), 1u);
  EXPECT_TRUE(a.add(report(2, 5))) << "late, not lost";
  EXPECT_EQ(a.lost_reports(), 0u);
  EXPECT_FALSE(a.add(report(2, 5))) << "a repeat is not merged twice";
  EXPECT_EQ(a.totals().total().requests, 15u);
  auto other_run = report(4, 5);
  other_run.run_id = 99;
  EXPECT_FALSE(a.add(other_run));
  EXPECT_EQ(a.rejected(), 2u);
  EXPECT_FALSE(a.all_final());
  EXPECT_TRUE(a.add(report(4, 1, true)));
  EXPECT_TRUE(a.all_final());
}

TEST(Aggregator, AFinalReportCountsOnlyIfItFollowsTheLastCommandSent) {
  m::aggregator a(1);
  a.commanded("w1", 1);
  auto orphan = report(1, 5, true);  // the worker stopped on its own, after command 1
  orphan.command_id = 1;
  EXPECT_TRUE(a.add(orphan));
  EXPECT_TRUE(a.workers().at("w1").final_received);
  a.commanded("w1", 4);  // sent users again
  EXPECT_FALSE(a.workers().at("w1").final_received) << "its last numbers are still to come";
  auto late = report(2, 1, true);  // another final, still answering command 1
  late.command_id = 1;
  EXPECT_TRUE(a.add(late));
  EXPECT_FALSE(a.workers().at("w1").final_received);
  auto last = report(3, 2, true);
  last.command_id = 4;
  EXPECT_TRUE(a.add(last));
  EXPECT_TRUE(a.workers().at("w1").final_received);
  EXPECT_EQ(a.totals().total().requests, 8u);
}

TEST(Aggregator, HistoryRowsCarryWindowRates) {
  m::aggregator a(1);
  a.add(report(1, 10));
  a.tick(1, 5);
  a.add(report(2, 30));
  a.tick(2, 5);
  ASSERT_EQ(a.history().size(), 2u);
  EXPECT_DOUBLE_EQ(a.history()[0].rps, 10);
  EXPECT_DOUBLE_EQ(a.history()[1].rps, 20);
  EXPECT_EQ(a.history()[1].total.requests, 40u);
}

}  // namespace

#include "master/worker_registry.hpp"

namespace {

TEST(WorkerRegistry, SilentWorkersGoMissingAndAHelloReadmitsThem) {
  m::worker_registry r;
  const auto t0 = std::chrono::steady_clock::time_point{} + 1h;
  EXPECT_TRUE(r.hello("a", "host", 2, t0));
  EXPECT_TRUE(r.hello("b", "host", 1, t0));
  EXPECT_FALSE(r.heard("nobody", t0));
  EXPECT_TRUE(r.heard("a", t0 + 2s, 7, 55.5));
  EXPECT_EQ(r.all().at("a").users, 7);
  EXPECT_DOUBLE_EQ(r.all().at("a").cpu_percent, 55.5);
  EXPECT_EQ(r.expire(t0 + 3500ms, 3s), std::vector<std::string>{"b"});
  EXPECT_FALSE(r.ready("b"));
  EXPECT_EQ(r.ready_workers().size(), 1u);
  EXPECT_TRUE(r.hello("b", "host", 1, t0 + 4s)) << "re-admitted";
  EXPECT_TRUE(r.ready("b"));
}

TEST(WorkerRegistry, AWorkerShortOfCpuIsNamedOnceUntilItRecovers) {
  m::worker_registry r;
  const auto t0 = std::chrono::steady_clock::time_point{} + 1h;
  r.hello("w", "host", 2, t0);
  r.heard("w", t0, 10, 150);  // 75% per thread
  EXPECT_FALSE(r.newly_short_of_cpu("w"));
  r.heard("w", t0, 10, 190);  // 95% per thread
  EXPECT_TRUE(r.newly_short_of_cpu("w"));
  r.heard("w", t0, 10, 199);
  EXPECT_FALSE(r.newly_short_of_cpu("w")) << "said once";
  r.heard("w", t0, 10, 100);  // 50%: recovered
  EXPECT_FALSE(r.newly_short_of_cpu("w"));
  r.heard("w", t0, 10, 195);
  EXPECT_TRUE(r.newly_short_of_cpu("w")) << "said again after recovering";
  EXPECT_FALSE(r.newly_short_of_cpu("nobody"));
}

}  // namespace
