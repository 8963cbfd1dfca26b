// Reports as a user reads them: kept up to date while the test runs, so that a killed process
// leaves a usable report; peak_users as the users reached.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "target_fixture.hpp"
#include "tests/support/process.hpp"

namespace ts = swarmlet::testing_support;
using namespace std::chrono_literals;

namespace {

const std::string binary = SWARMLET_BINARY;

std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> f;
    std::istringstream fields(line);
    for (std::string x; std::getline(fields, x, ',');) f.push_back(x);
    rows.push_back(std::move(f));
  }
  return rows;
}

/// The JSON report's request count, or -1 while it is absent.
long long json_requests(const std::string& file) {
  const auto text = ts::read_file(file);
  if (text.empty()) return -1;
  return nlohmann::json::parse(text)["totals"]["requests"].get<long long>();
}

using Reports = ts::against_target;

TEST_F(Reports, AKilledRunLeavesParseableReportsWithItsRequestsCounted) {
  const auto file = scenario(R"(load: {users: 4, spawn_rate: 100, run_time: 5m}
users: [{wait: {constant: 10ms}, tasks: [{get: /items}, {get: /status/404, name: missing}]}]
)");
  const auto dir = file.substr(0, file.rfind('/'));
  ts::process run({binary, "run", file, "-q", "--headless", "--threads", "1", "--csv", dir + "/r",
                   "--csv-full-history", "--json", dir + "/r.json"});
  // Wait for what we mean: the JSON counts requests and the history has two intervals.
  const auto intervals = [&] {
    int n = 0;
    for (const auto& row : csv_rows(ts::read_file(dir + "/r_stats_history.csv")))
      n += row.size() > 3 && row[3] == "Aggregated";
    return n;
  };
  const auto until = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < until &&
         (json_requests(dir + "/r.json") <= 0 || intervals() < 2))
    std::this_thread::sleep_for(50ms);
  run.signal(SIGKILL);
  ASSERT_EQ(run.wait(), 128 + SIGKILL) << run.err();
  const auto served_by_target = served();

  const auto json = nlohmann::json::parse(ts::read_file(dir + "/r.json"));
  const auto requests = json["totals"]["requests"].get<std::uint64_t>();
  EXPECT_GT(requests, 0u);
  EXPECT_LE(requests, served_by_target);
  EXPECT_EQ(json["complete"], false) << "the numbers of a test that did not end";
  EXPECT_TRUE(json["passed"].is_null());
  EXPECT_GE(json["requests"].size(), 1u);

  const auto stats = csv_rows(ts::read_file(dir + "/r_stats.csv"));
  ASSERT_GE(stats.size(), 3u) << "header, a name at least, Aggregated";
  EXPECT_EQ(stats[0][2], "Request Count");
  EXPECT_EQ(stats.back()[1], "Aggregated");
  EXPECT_GT(std::stoull(stats.back()[2]), 0u);
  EXPECT_LE(std::stoull(stats.back()[2]), served_by_target);

  const auto failures = csv_rows(ts::read_file(dir + "/r_failures.csv"));
  ASSERT_GE(failures.size(), 1u);
  EXPECT_EQ(failures[0][0], "Method");
  for (std::size_t i = 1; i < failures.size(); ++i) EXPECT_EQ(failures[i][1], "missing");
  EXPECT_EQ(ts::read_file(dir + "/r_exceptions.csv"), "Count,Message,Traceback,Nodes\n");

  // Full history: each interval has a row per name (in order), then the Aggregated row.
  const auto history = csv_rows(ts::read_file(dir + "/r_stats_history.csv"));
  ASSERT_GE(history.size(), 3u);
  EXPECT_EQ(history[0][0], "Timestamp");
  std::vector<std::string> names;
  int aggregated = 0, per_name = 0;
  for (std::size_t i = 1; i < history.size(); ++i) {
    ASSERT_EQ(history[i].size(), history[0].size()) << i;
    if (history[i][3] != "Aggregated") {
      names.push_back(history[i][3]);
      ++per_name;
      continue;
    }
    ++aggregated;
    EXPECT_TRUE(std::is_sorted(names.begin(), names.end())) << i;
    for (const auto& n : names) EXPECT_TRUE(n == "/items" || n == "missing") << n;
    names.clear();
  }
  EXPECT_GE(aggregated, 2);
  EXPECT_GE(per_name, 2);
  EXPECT_TRUE(names.empty()) << "every interval ends with its Aggregated row";
}

TEST_F(Reports, PeakUsersIsThePeakReachedWhenTheRunEndsBeforeItsTarget) {
  const auto file = scenario(R"(load: {users: 1000, spawn_rate: 5, run_time: 2s}
users: [{wait: {constant: 50ms}, tasks: [{get: /items}]}]
)");
  const auto dir = file.substr(0, file.rfind('/'));
  auto r = ts::run_process({binary, "run", file, "-q", "--headless", "--threads", "1",
                            "--report-interval-ms", "100", "--json", dir + "/s.json", "--csv",
                            dir + "/r"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto s = nlohmann::json::parse(ts::read_file(dir + "/s.json"));
  EXPECT_EQ(s["complete"], true);
  EXPECT_EQ(s["passed"], true);
  const int peak = s["peak_users"];
  // 5 users a second for 2 s: nowhere near 1000, whatever the machine's speed.
  EXPECT_GE(peak, 1);
  EXPECT_LT(peak, 100);
  int history_max = 0;
  const auto history = csv_rows(ts::read_file(dir + "/r_stats_history.csv"));
  for (std::size_t i = 1; i < history.size(); ++i)
    history_max = std::max(history_max, std::stoi(history[i][1]));
  EXPECT_LE(history_max, peak) << "the history samples the users the peak was taken from";
}

TEST_F(Reports, AHistoryRemovedMidTestIsThereAtTheEndWithEveryRow) {
  const auto file = scenario(R"(load: {users: 2, spawn_rate: 100, run_time: 5m}
users: [{wait: {constant: 10ms}, tasks: [{get: /items}]}]
)");
  const auto dir = file.substr(0, file.rfind('/'));
  const auto history_file = dir + "/d/x_stats_history.csv";
  ts::process run({binary, "run", file, "--headless", "--threads", "1", "--csv", dir + "/d/x"});
  const auto intervals = [&] {
    int n = 0;
    for (const auto& row : csv_rows(ts::read_file(history_file)))
      n += row.size() > 3 && row[3] == "Aggregated";
    return n;
  };
  const auto until = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < until && intervals() < 2)
    std::this_thread::sleep_for(50ms);
  const auto before = ts::read_file(history_file);
  ASSERT_GE(intervals(), 2) << run.err();
  // `rm d/x_stats_history.csv` while the test runs: swarmlet kept appending through the handle
  // of the removed file, and said at the end it wrote a file that was not there.
  std::filesystem::remove(history_file);
  run.signal(SIGINT);
  ASSERT_EQ(run.wait(), 0) << run.err();
  EXPECT_NE(run.out().find("wrote " + dir +
                           "/d/x_stats.csv, _failures.csv, _exceptions.csv, "
                           "_stats_history.csv"),
            std::string::npos)
      << run.out();
  const auto after = ts::read_file(history_file);
  ASSERT_FALSE(after.empty()) << "no " << history_file;
  // The rows removed come back as they were (at least two), and those after follow: the rows
  // already read, less the last, which may have been cut mid-line by the read.
  const auto kept = before.substr(0, before.rfind('\n', before.size() - 2) + 1);
  EXPECT_EQ(after.substr(0, kept.size()), kept);
  EXPECT_GT(after.size(), before.size()) << "the last interval's rows follow";
}

TEST_F(Reports, AHistoryThatCannotBeWrittenAgainIsNotSaidToBeWritten) {
  // Its path taken by a directory mid-test: the history cannot come back, and the console
  // said "wrote ..._stats_history.csv" all the same.
  const auto file = scenario(R"(load: {users: 1, spawn_rate: 100, run_time: 5m}
users: [{wait: {constant: 10ms}, tasks: [{get: /items}]}]
)");
  const auto dir = file.substr(0, file.rfind('/'));
  const auto history_file = dir + "/d/x_stats_history.csv";
  ts::process run({binary, "run", file, "--headless", "--threads", "1", "--csv", dir + "/d/x"});
  const auto until = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < until &&
         csv_rows(ts::read_file(history_file)).size() < 2)
    std::this_thread::sleep_for(50ms);
  ASSERT_GE(csv_rows(ts::read_file(history_file)).size(), 2u) << run.err();
  std::filesystem::remove(history_file);
  std::filesystem::create_directory(history_file);
  ASSERT_FALSE(run.wait_for_line("cannot write report file " + history_file).empty())
      << run.out() << run.err();
  run.signal(SIGINT);
  ASSERT_EQ(run.wait(), 0) << run.err();
  EXPECT_NE(run.out().find("wrote " + dir + "/d/x_stats.csv, _failures.csv, _exceptions.csv\n"),
            std::string::npos)
      << run.out();
  EXPECT_EQ(run.out().find("_stats_history.csv\n"), std::string::npos) << run.out();
  EXPECT_NE(run.err().find("WARNING: no " + history_file +
                           ": it could not be written while the test ran"),
            std::string::npos)
      << run.err();
  EXPECT_GE(csv_rows(ts::read_file(dir + "/d/x_stats.csv")).size(), 2u) << "the others are";
}

}  // namespace
