// The web UI and the HTML report in a real browser: Debian's Chromium, headless, driven by
// check_in_chromium.mjs (playwright-core from package-lock.json). The processes are real: a
// target, a master with --web-ui and two workers on loopback. Skipped, saying why, when Chromium,
// Node.js or the npm packages are not installed (scripts/install-deps.sh --test installs them).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "tests/support/http_calls.hpp"
#include "tests/support/process.hpp"

namespace ts = swarmlet::testing_support;

namespace {

const std::string binary = SWARMLET_BINARY;
const std::string driver =
    std::string(SWARMLET_SOURCE_DIR) + "/tests/browser/check_in_chromium.mjs";
const std::string screenshots = SWARMLET_SCREENSHOT_DIR;

std::string missing_browser_tools() {
  if (::access("/usr/bin/chromium", X_OK) != 0)
    return "/usr/bin/chromium is not installed (apt-get install chromium)";
  if (ts::run_process({"/usr/bin/env", "node", "--version"}).code != 0)
    return "node is not installed";
  if (!std::filesystem::exists(std::string(SWARMLET_SOURCE_DIR) + "/node_modules/playwright-core"))
    return "playwright-core is not installed (npm ci in the repository root)";
  return {};
}

nlohmann::json run_driver(std::vector<std::string> args) {
  args.insert(args.begin(), {"/usr/bin/env", "node", driver});
  const auto r = ts::run_process(args, std::chrono::seconds(110));
  const auto json = nlohmann::json::parse(r.out, nullptr, false);
  if (json.is_discarded()) return {{"error", "the driver printed no JSON: " + r.out + r.err}};
  return json;
}

class Browser : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const auto why = missing_browser_tools(); !why.empty())
      GTEST_SKIP() << "no browser test: " << why;
    std::filesystem::create_directories(screenshots);
    target_ = std::make_unique<ts::process>(
        std::vector<std::string>{binary, "target", "--port", "0", "--threads", "1"});
    target_url_ = ts::url_in(target_->wait_for_line("listening on"));
    ASSERT_FALSE(target_url_.empty()) << target_->err();
  }
  std::unique_ptr<ts::process> target_;
  std::string target_url_;
};

TEST_F(Browser, TheWebUiStartsATestFromItsFormAndShowsTheTableChartsWorkersAndReport) {
  const auto file = ts::write_temp_file(
      "web.yaml", "target: " + target_url_ +
                      "\nload: {users: 1, spawn_rate: 1}\n"
                      "users: [{wait: {constant: 20ms}, tasks: [{get: /items}, {get: /},"
                      " {get: /status/503, name: unavailable}]}]\n");
  ts::process master({binary, "master", file, "--web-ui", "--web-port", "0", "--port", "0", "-q"});
  const std::string control = master.wait_for_line("listening on tcp://");
  const std::string web = ts::url_in(master.wait_for_line("web UI"));
  std::smatch ports;
  ASSERT_TRUE(
      std::regex_search(control, ports, std::regex(R"(:(\d+) \(stats tcp://127\.0\.0\.1:(\d+)\))")))
      << master.err();
  ASSERT_FALSE(web.empty()) << master.out() << master.err();
  std::vector<std::unique_ptr<ts::process>> workers;
  for (int i = 0; i < 2; ++i)
    workers.push_back(std::make_unique<ts::process>(std::vector<std::string>{
        binary, "worker", "--master", "127.0.0.1:" + ports[1].str(), "--stats-port", ports[2].str(),
        "--threads", "1", "--report-interval-ms", "250"}));

  const auto seen = run_driver({"ui", web + "/", "2", "6", screenshots + "/web_ui"});
  ASSERT_FALSE(seen.contains("error")) << seen.dump() << "\nmaster: " << master.err();
  EXPECT_EQ(seen["state"], "stopped");
  EXPECT_EQ(seen["errors"].size(), 0u) << seen["errors"].dump();
  EXPECT_EQ(seen["worker_rows"], 2);
  EXPECT_GT(seen["rps_chart_pixels"].get<int>(), 100) << "the RPS line was drawn";
  auto names = seen["names"].get<std::vector<std::string>>();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"/", "/items", "unavailable"}));
  EXPECT_LT(seen["after_reset"].get<int>(), seen["before_reset"].get<int>()) << "Reset stats";
  ASSERT_EQ(seen["failures"].size(), 1u) << seen["failures"].dump();
  EXPECT_NE(seen["failures"][0].get<std::string>().find("503"), std::string::npos)
      << seen["failures"].dump();
  EXPECT_GT(seen["total_requests"].get<std::uint64_t>(), 0u);
  const auto api =
      nlohmann::json::parse(ts::run_process({"/usr/bin/curl", "-s", web + "/api/stats"}).out);
  EXPECT_EQ(seen["total_requests"], api["total"]["requests"]) << "the page shows the final numbers";

  // The HTML report, downloaded from the page and opened offline.
  EXPECT_EQ(seen["report"]["requests_rows"], 3);
  EXPECT_EQ(seen["report"]["workers_rows"], 2);
  EXPECT_GE(seen["report"]["chart_lines"].get<int>(), 2);
  for (const char* shot : {"/web_ui_stats.png", "/web_ui_charts.png", "/web_ui_report.png"})
    EXPECT_GT(std::filesystem::file_size(screenshots + shot), 10'000u) << shot;

  EXPECT_EQ(ts::run_process({"/usr/bin/curl", "-s", "-X", "POST", web + "/api/quit"}).code, 0);
  EXPECT_EQ(master.wait(std::chrono::seconds(30)), 1)
      << "requests failed (the 503s) and no threshold decides: --exit-code-on-error's 1\n"
      << master.err();
  for (auto& w : workers) EXPECT_EQ(w->wait(std::chrono::seconds(30)), 0) << w->err();
}

TEST_F(Browser, TheExceptionsTabListsAScriptsErrorsWithTheirTracebackAndWorker) {
  const auto file = ts::write_temp_file(
      "exc.yaml", "target: " + target_url_ +
                      "\nload: {users: 1, spawn_rate: 1}\n"
                      "users: [{name: flaky, script: flaky.lua, wait: {constant: 20ms}}]\n");
  const auto dir = file.substr(0, file.rfind('/'));
  std::ofstream(dir + "/flaky.lua") << "return {tasks = {function(u)\n  u.http:get('/')\n"
                                       "  error('no such item')\nend}}\n";
  ts::process master({binary, "master", file, "--web-ui", "--web-port", "0", "--port", "0", "-q"});
  const std::string control = master.wait_for_line("listening on tcp://");
  const std::string web = ts::url_in(master.wait_for_line("web UI"));
  std::smatch ports;
  ASSERT_TRUE(
      std::regex_search(control, ports, std::regex(R"(:(\d+) \(stats tcp://127\.0\.0\.1:(\d+)\))")))
      << master.err();
  ts::process worker({binary, "worker", "--master", "127.0.0.1:" + ports[1].str(), "--stats-port",
                      ports[2].str(), "--threads", "1", "--report-interval-ms", "250", "--id",
                      "ui-worker"});
  // The test starts once the worker has joined (409 until then).
  for (int i = 0; i < 300; ++i) {
    const auto r = ts::run_process({"/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                    "-X", "POST", web + "/api/start"});
    if (r.out == "202") break;
    ::usleep(100'000);
  }
  const auto seen = run_driver({"exceptions", web + "/", screenshots + "/web_ui_exceptions.png"});
  ASSERT_FALSE(seen.contains("error")) << seen.dump() << "\nmaster: " << master.err();
  EXPECT_EQ(seen["errors"].size(), 0u) << seen["errors"].dump();
  EXPECT_TRUE(seen["visible"].get<bool>());
  ASSERT_EQ(seen["rows"].size(), 1u) << seen.dump();
  const auto& row = seen["rows"][0];
  EXPECT_EQ(row["message"], "flaky.lua:3: no such item");
  EXPECT_EQ(row["traceback"], "stack traceback:\n\tflaky.lua:3: in function <flaky.lua:1>");
  EXPECT_EQ(row["workers"], "ui-worker");
  EXPECT_GT(std::stoull(row["count"].get<std::string>()), 0u);
  EXPECT_NE(seen["tab"].get<std::string>().find("Exceptions ("), std::string::npos) << seen["tab"];
  // The script's errors are not requests: below the Aggregated row, which leaves them out.
  EXPECT_EQ(seen["stats_rows"], nlohmann::json::array({"GET /"})) << seen.dump();
  EXPECT_EQ(seen["stats_foot"], nlohmann::json::array({" Aggregated", "LUA flaky.lua:1"}))
      << seen.dump();
  EXPECT_EQ(ts::run_process({"/usr/bin/curl", "-s", "-X", "POST", web + "/api/quit"}).code, 0);
  EXPECT_EQ(master.wait(std::chrono::seconds(30)), 1) << "the scripts failed\n" << master.err();
  EXPECT_EQ(worker.wait(std::chrono::seconds(30)), 0) << worker.err();
}

TEST_F(Browser, TheEditDialogShowsTheRunningTestsLoadAndSendsOnlyWhatWasEntered) {
  // QA: the dialog opened empty, and an empty field was sent as 0 (0 users, or a 400).
  const auto file = ts::write_temp_file(
      "edit.yaml", "target: " + target_url_ +
                       "\nload: {users: 1, spawn_rate: 1}\n"
                       "users: [{wait: {constant: 50ms}, tasks: [{get: /}]}]\n");
  ts::process master({binary, "master", file, "--web-ui", "--web-port", "0", "--port", "0", "-q"});
  const std::string control = master.wait_for_line("listening on tcp://");
  const std::string web = ts::url_in(master.wait_for_line("web UI"));
  std::smatch ports;
  ASSERT_TRUE(
      std::regex_search(control, ports, std::regex(R"(:(\d+) \(stats tcp://127\.0\.0\.1:(\d+)\))")))
      << master.err();
  ts::process worker({binary, "worker", "--master", "127.0.0.1:" + ports[1].str(), "--stats-port",
                      ports[2].str(), "--threads", "1", "--report-interval-ms", "250"});
  for (int i = 0; i < 300; ++i) {
    const auto r =
        ts::run_process({"/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X",
                         "POST", web + "/api/start", "-d", R"({"users": 3, "spawn_rate": 100})"});
    if (r.out == "202") break;
    ::usleep(100'000);
  }
  const auto seen = run_driver({"edit", web + "/", screenshots + "/web_ui_edit.png"});
  ASSERT_FALSE(seen.contains("error")) << seen.dump() << "\nmaster: " << master.err();
  EXPECT_EQ(seen["errors"].size(), 0u) << seen["errors"].dump();
  EXPECT_EQ(seen["prefilled"]["users"], "3") << seen.dump();
  EXPECT_EQ(seen["prefilled"]["spawn_rate"], "100");
  EXPECT_EQ(seen["after_rate"]["target_users"], 3) << "the emptied field was not sent as 0";
  EXPECT_EQ(seen["after_rate"]["spawn_rate"], 7.0);
  EXPECT_EQ(seen["refilled"]["users"], "3");
  EXPECT_EQ(seen["refilled"]["spawn_rate"], "7");
  EXPECT_EQ(seen["too_many_error"], "users: a whole number from 0 to 10000000, not 20000000")
      << "the master's own message";
  EXPECT_TRUE(seen["still_open"].get<bool>());
  EXPECT_NE(seen["nothing_error"].get<std::string>().find("Enter a number of users"),
            std::string::npos)
      << seen["nothing_error"];
  EXPECT_EQ(seen["after_all"]["target_users"], 3) << seen.dump();
  EXPECT_EQ(seen["after_all"]["state"], "running");
  EXPECT_EQ(ts::run_process({"/usr/bin/curl", "-s", "-X", "POST", web + "/api/quit"}).code, 0);
  master.wait(std::chrono::seconds(30));
  EXPECT_EQ(worker.wait(std::chrono::seconds(30)), 0) << worker.err();
}

TEST_F(Browser, TheHtmlReportOfARunOpensOfflineWithItsTablesAndCharts) {
  const auto file =
      ts::write_temp_file("report.yaml", "target: " + target_url_ +
                                             "\nload: {users: 3, spawn_rate: 30, run_time: 3s}\n"
                                             "users: [{wait: {constant: 10ms}, tasks: [{get: "
                                             "/items}, {get: /status/500, name: broken}]}]\n");
  const std::string html = screenshots + "/run_report.html";
  const auto result =
      ts::run_process({binary, "run", file, "-q", "--no-web", "--threads", "1", "--html", html});
  ASSERT_EQ(result.code, 1) << "the 500s failed and no threshold decides\n" << result.err;
  const auto seen = run_driver({"report", html, screenshots + "/run_report.png"});
  ASSERT_FALSE(seen.contains("error")) << seen.dump();
  auto names = seen["names"].get<std::vector<std::string>>();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"/items", "broken"}));
  EXPECT_GE(seen["failures_rows"].get<int>(), 1);
  EXPECT_GE(seen["settings_rows"].get<int>(), 3);
  EXPECT_GE(seen["charts"].get<int>(), 2);
  EXPECT_GE(seen["chart_lines"].get<int>(), 2);
  EXPECT_GT(std::filesystem::file_size(screenshots + "/run_report.png"), 10'000u);
}

}  // namespace
