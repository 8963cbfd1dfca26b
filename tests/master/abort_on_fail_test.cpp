// A threshold with abort_on_fail, judged on the live totals at every tick and after each report
// of the real test runner: it stops the test early (exit code 1, the summary says which threshold
// and when), and not before its delay.
#include <gtest/gtest.h>

#include <memory>
#include <sstream>
#include <string>

#include "common/config/scenario_loader.hpp"
#include "common/green/hub.hpp"
#include "common/green/operations.hpp"
#include "master/html_report.hpp"
#include "master/reports.hpp"
#include "master/test_runner.hpp"

namespace m = swarmlet::master;
namespace proto = swarmlet::proto;
using namespace std::chrono_literals;

namespace {

/// A worker whose users fail every request: it reports `requests` failures as soon as it is
/// told to spawn, and its final report when told to stop.
class failing_worker final : public proto::worker_control {
 public:
  failing_worker(proto::report_sink& sink, int requests) : sink_(sink), requests_(requests) {}
  void spawn(const proto::spawn_command& c) override {
    run_id_ = c.run_id;
    command_id_ = c.command_id;
    proto::stats_report r = next(false);
    for (int i = 0; i < requests_; ++i) r.delta.entry("GET", "/status/500").record(1000, 0, true);
    sink_.deliver(std::move(r));
  }
  void reset_stats(std::uint64_t, std::uint64_t) override {}  // reports no stats
  void stop(std::uint64_t) override {
    ++stops;
    sink_.deliver(next(true));
  }
  int stops = 0;

 private:
  proto::stats_report next(bool final) {
    proto::stats_report r;
    r.worker_id = "w1";
    r.run_id = run_id_;
    r.sequence = ++sequence_;
    r.users = 2;
    r.command_id = command_id_;  // a final report counts only after the last command
    r.final = final;
    return r;
  }
  proto::report_sink& sink_;
  int requests_;
  std::uint64_t run_id_ = 0;
  std::uint64_t command_id_ = 0;
  std::uint64_t sequence_ = 0;
};

/// The real runner on a hub, ticking every 10 ms, with one failing worker.
struct runner_fixture {
  explicit runner_fixture(const std::string& load_and_thresholds,
                          std::chrono::milliseconds tick = 10ms)
      : scenario(
            std::make_shared<const swarmlet::config::scenario>(swarmlet::config::load_scenario_text(
                "target: http://127.0.0.1:1/\nusers: [{tasks: [{get: /status/500}]}]\n" +
                    load_and_thresholds,
                "abort.yaml"))) {
    m::runner_options o;
    o.tick_interval = tick;
    o.console_interval = 0ms;
    o.console = &console;
    runner = std::make_unique<m::test_runner>(scenario, o);
    runner->add_worker(worker, "w1", 1);
  }
  int run() {
    return swarmlet::green::spawn([this] { return runner->run(); }).wait();
  }

  // The worker reports to the runner, which the constructor makes after it.
  struct forward_sink final : proto::report_sink {
    explicit forward_sink(runner_fixture& f) : fixture(f) {}
    void deliver(proto::stats_report r) override { fixture.runner->deliver(std::move(r)); }
    runner_fixture& fixture;
  };

  swarmlet::green::hub hub;
  std::ostringstream console;
  std::shared_ptr<const swarmlet::config::scenario> scenario;
  std::unique_ptr<m::test_runner> runner;
  forward_sink to_runner{*this};
  failing_worker worker{to_runner, 10};
};

TEST(AbortOnFail, ABrokenThresholdStopsTheTestWithExitCodeOne) {
  runner_fixture f(
      "load: {users: 2, spawn_rate: 2, run_time: 20s}\n"
      "thresholds:\n"
      "  - p(95) < 10s\n"
      "  - {check: fail_ratio < 0.01, abort_on_fail: true}\n");
  EXPECT_EQ(f.run(), 1);
  const auto& s = f.runner->summary();
  ASSERT_TRUE(s.aborted) << f.console.str();
  EXPECT_EQ(s.aborted->threshold, "fail_ratio < 0.01");
  EXPECT_DOUBLE_EQ(s.aborted->observed, 1.0);
  EXPECT_LT(s.duration_s, 20) << "stopped before its run time";
  EXPECT_GE(s.duration_s, s.aborted->at_s);
  EXPECT_EQ(f.worker.stops, 1) << "stopped as at a normal end: final reports collected";
  EXPECT_FALSE(s.passed());

  ASSERT_EQ(s.thresholds.size(), 2u);
  EXPECT_TRUE(s.thresholds[0].passed);
  EXPECT_FALSE(s.thresholds[0].abort_on_fail);
  EXPECT_FALSE(s.thresholds[0].aborted_test);
  EXPECT_FALSE(s.thresholds[1].passed);
  EXPECT_TRUE(s.thresholds[1].abort_on_fail);
  EXPECT_TRUE(s.thresholds[1].aborted_test);
  EXPECT_EQ(s.thresholds[1].note.rfind("observed 1 at ", 0), 0u) << s.thresholds[1].note;

  const std::string out = f.console.str();
  EXPECT_NE(out.find("threshold broken "), std::string::npos) << out;
  EXPECT_NE(out.find(": fail_ratio < 0.01 (observed 1); abort_on_fail: stopping the test"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("threshold FAILED: fail_ratio < 0.01 (observed 1 at "), std::string::npos)
      << out;
  EXPECT_NE(out.find("aborted the test)"), std::string::npos) << out;

  const auto json = m::summary_json(f.runner->results(), s);
  EXPECT_EQ(json["aborted"]["threshold"], "fail_ratio < 0.01");
  EXPECT_DOUBLE_EQ(json["aborted"]["at_s"].get<double>(), s.aborted->at_s);
  EXPECT_EQ(json["passed"], false);
  EXPECT_EQ(json["thresholds"][1]["aborted_test"], true);
  EXPECT_EQ(json["thresholds"][1]["abort_on_fail"], true);
  EXPECT_EQ(json["thresholds"][0]["aborted_test"], false);

  const std::string html = m::html_report(*f.scenario, f.runner->results(), s);
  EXPECT_NE(html.find("id=\"aborted\">The threshold fail_ratio &lt; 0.01 was broken"),
            std::string::npos)
      << html;
}

TEST(AbortOnFail, AReportThatBreaksAThresholdStopsTheTestThenNotAtTheNextTick) {
  // No tick comes in this test's run time: only the report can stop it (swarmlet run stopped
  // an interval late: a report comes just after the tick it would have been judged at).
  runner_fixture f(
      "load: {users: 2, spawn_rate: 2, run_time: 30s}\n"
      "thresholds: [{check: failures == 0, abort_on_fail: true}]\n",
      std::chrono::hours(1));
  EXPECT_EQ(f.run(), 1);
  const auto& s = f.runner->summary();
  ASSERT_TRUE(s.aborted) << "the test ran its 30 s";
  EXPECT_EQ(s.aborted->threshold, "failures == 0");
  EXPECT_LT(s.aborted->at_s, 30.0);
}

TEST(AbortOnFail, ARateDividesByTheTimeTheReportsCoverNotByTheClock) {
  // Hunt: workers report once an interval, so the totals lag the clock; divided by the clock's
  // seconds, `rps > 150` saw 96/s in a test making 189/s, and stopped it. Here the worker
  // reports its 10 requests at once and nothing until its final report: what the reports
  // cover is that first instant, so no rate is judged until then (by the clock: 10/s at 1 s,
  // below 20/s from 0.5 s on).
  runner_fixture f(
      "load: {users: 2, spawn_rate: 2, run_time: 1s}\n"
      "thresholds: [{check: rps > 20, abort_on_fail: true, delay: 100ms}]\n");
  EXPECT_EQ(f.run(), 1) << "judged at the end, over the whole second";
  EXPECT_FALSE(f.runner->summary().aborted) << f.console.str();
}

TEST(AbortOnFail, NothingIsJudgedBeforeTheDelayAndOthersWaitForTheEnd) {
  runner_fixture f(
      "load: {users: 2, spawn_rate: 2, run_time: 200ms}\n"
      "thresholds:\n"
      "  - {check: fail_ratio < 0.01, abort_on_fail: true, delay: 1h}\n"
      "  - failures == 0\n");
  EXPECT_EQ(f.run(), 1) << "broken at the end all the same";
  const auto& s = f.runner->summary();
  EXPECT_FALSE(s.aborted) << f.console.str();
  EXPECT_GE(s.duration_s, 0.2) << "ran to its run time";
  ASSERT_EQ(s.thresholds.size(), 2u);
  EXPECT_FALSE(s.thresholds[0].passed);
  EXPECT_FALSE(s.thresholds[0].aborted_test);
  EXPECT_FALSE(s.thresholds[1].passed);
  EXPECT_EQ(f.console.str().find("abort_on_fail: stopping"), std::string::npos);
  EXPECT_TRUE(m::summary_json(f.runner->results(), s)["aborted"].is_null());
}

}  // namespace
