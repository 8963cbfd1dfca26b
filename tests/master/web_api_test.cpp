#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/config/scenario_loader.hpp"
#include "master/prometheus.hpp"
#include "master/web_api.hpp"

namespace m = swarmlet::master;
namespace h = swarmlet::http;

namespace {

std::shared_ptr<const swarmlet::config::scenario> scenario() {
  return std::make_shared<const swarmlet::config::scenario>(
      swarmlet::config::load_scenario_text("target: http://127.0.0.1:1/\nusers: [{tasks: [{get: /}]}]\n", "s.yaml"));
}

h::response call(m::web_api& api, const std::string& method, const std::string& target, const std::string& body = "",
                 const std::string& auth = "") {
  h::request q;
  q.method = method;
  q.target = target;
  q.body = body;
  if (!auth.empty()) q.headers.add("Authorization", auth);
  h::response r;
  api.handle(q, r);
  return r;
}

TEST(Prometheus, CountersSummariesAndGaugesInTheTextFormat) {
  m::aggregator a(1);
  swarmlet::proto::stats_report r;
  r.worker_id = "w";
  r.run_id = 1;
  r.sequence = 1;
  for (int i = 1; i <= 100; ++i) r.delta.entry("GET", "/a\"b").record(i * 1000, 10, i == 1);
  a.add(r);
  const std::string text = m::prometheus_metrics(a, {5, 2, true});
  EXPECT_NE(text.find("# TYPE swarmlet_requests_total counter"), std::string::npos);
  EXPECT_NE(text.find("swarmlet_requests_total{method=\"GET\",name=\"/a\\\"b\"} 100"), std::string::npos) << text;
  EXPECT_NE(text.find("swarmlet_failures_total{method=\"GET\",name=\"/a\\\"b\"} 1"), std::string::npos);
  EXPECT_NE(text.find("swarmlet_response_time_seconds{method=\"GET\",name=\"/a\\\"b\",quantile=\"0.5\"} 0.05"), std::string::npos)
      << text;
  EXPECT_NE(text.find("swarmlet_response_time_seconds_count{method=\"GET\",name=\"/a\\\"b\"} 100"), std::string::npos);
  EXPECT_NE(text.find("swarmlet_users 5\n"), std::string::npos);
  EXPECT_NE(text.find("swarmlet_workers 2\n"), std::string::npos);
  EXPECT_EQ(m::prometheus_label("a\\b\nc"), "a\\\\b\\nc");
}

TEST(WebApi, RoutesAnswerJsonAndErrorsHaveStatusesAndMessages) {
  m::runner_options o;
  m::test_runner runner(scenario(), o);
  m::web_api api(runner, [] { return nlohmann::json::array({{{"id", "w1"}}}); }, {});
  auto stats = call(api, "GET", "/api/stats");
  EXPECT_EQ(stats.status, 200);
  EXPECT_EQ(nlohmann::json::parse(stats.body)["state"], "stopped");
  EXPECT_EQ(nlohmann::json::parse(call(api, "GET", "/api/workers").body)[0]["id"], "w1");
  EXPECT_EQ(call(api, "GET", "/metrics").status, 200);
  auto missing = call(api, "GET", "/api/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(nlohmann::json::parse(missing.body)["error"].get<std::string>().find("/api/nope"), std::string::npos);
  EXPECT_EQ(call(api, "GET", "/api/stop").status, 405);
  EXPECT_EQ(call(api, "POST", "/api/swarm", "not json").status, 400);
  EXPECT_EQ(call(api, "POST", "/api/swarm", R"({"users": -1})").status, 400);
  EXPECT_EQ(call(api, "POST", "/api/swarm", R"({"users": 3})").status, 409) << "no test runs";
  EXPECT_EQ(call(api, "POST", "/api/stop").status, 202);
}

TEST(WebApi, ATokenIsRequiredWhenSet) {
  m::runner_options o;
  m::test_runner runner(scenario(), o);
  m::web_api api(runner, [] { return nlohmann::json::array(); }, {"s3cret"});
  EXPECT_EQ(call(api, "GET", "/api/stats").status, 401);
  EXPECT_EQ(call(api, "GET", "/api/stats", "", "Bearer wrong").status, 401);
  EXPECT_EQ(call(api, "GET", "/api/stats", "", "Bearer s3cret").status, 200);
}

}  // namespace

#include "master/html_report.hpp"

namespace {

TEST(HtmlReport, IsOneSelfContainedFileWithTablesChartsAndTheVerdict) {
  m::aggregator a(1);
  swarmlet::proto::stats_report r;
  r.worker_id = "w<1>";
  r.run_id = 1;
  r.sequence = 1;
  r.users = 3;
  for (int i = 1; i <= 50; ++i) r.delta.entry("GET", "/items?<x>").record(i * 1000, 10, i == 1);
  r.delta.record_error("GET", "/items?<x>", "HTTP 500 & worse");
  a.add(r);
  a.tick(1, 3);
  a.tick(2, 3);
  m::run_summary run;
  run.scenario_file = "s.yaml";
  run.target = "http://t/";
  run.duration_s = 2;
  run.thresholds.push_back({"p95 < 10ms", 47.5, false});
  const auto s = scenario();
  const std::string html = m::html_report(*s, a, run);
  for (const char* id : {"id=\"settings\"", "id=\"requests\"", "id=\"failures\"", "id=\"workers\"", "id=\"thresholds\""})
    EXPECT_NE(html.find(id), std::string::npos) << id;
  EXPECT_EQ(std::count(html.begin(), html.end(), '\n') > 10, true);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("<polyline"), std::string::npos);
  EXPECT_NE(html.find("/items?&lt;x&gt;"), std::string::npos) << "names are escaped";
  EXPECT_NE(html.find("HTTP 500 &amp; worse"), std::string::npos);
  EXPECT_NE(html.find("A threshold was broken."), std::string::npos);
  EXPECT_EQ(html.find("<script src"), std::string::npos) << "nothing to fetch: it opens offline";
  EXPECT_EQ(html.find("http-equiv"), std::string::npos);
}

}  // namespace
