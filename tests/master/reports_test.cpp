// Report files: written whole or not at all (write_file_atomically), appended and flushed at
// once (appending_file), and the live reports a test keeps up to date while it runs.
#include "master/reports.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "common/green/hub.hpp"
#include "common/green/manual_clock.hpp"
#include "master/aggregator.hpp"
#include "master/html_report.hpp"
#include "master/live_reports.hpp"
#include "master/report_file.hpp"
#include "master/report_quantiles.hpp"
#include "tests/support/process.hpp"

namespace m = swarmlet::master;
namespace fs = std::filesystem;
namespace ts = swarmlet::testing_support;
using namespace std::chrono_literals;

namespace {

std::string fresh_dir() {
  const auto file = ts::write_temp_file("unused", "");
  return file.substr(0, file.rfind('/'));
}

std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(ReportFile, WriteFileAtomicallyReplacesTheWholeFileAndLeavesNoTemporary) {
  const auto dir = fresh_dir() + "/made/here";
  m::write_file_atomically(dir + "/r.json", std::string(100'000, 'a'));
  m::write_file_atomically(dir + "/r.json", "short\n");
  EXPECT_EQ(ts::read_file(dir + "/r.json"), "short\n");
  EXPECT_EQ(files_in(dir), std::vector<std::string>{"r.json"});
}

TEST(ReportFile, AFailedWriteNamesTheFileAndLeavesNoTemporary) {
  const auto dir = fresh_dir();
  fs::create_directory(dir + "/taken");
  try {
    m::write_file_atomically(dir + "/taken", "x");
    FAIL() << "a directory cannot be replaced by a file";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("cannot write report file " + dir + "/taken: ", 0), 0u)
        << e.what();
  }
  EXPECT_TRUE(fs::is_directory(dir + "/taken"));
  EXPECT_EQ(files_in(dir), (std::vector<std::string>{"taken", "unused"}));
}

TEST(ReportFile, AReaderSeesTheOldContentsOrTheNewNeverAMix) {
  const auto file = fresh_dir() + "/stats.csv";
  const std::string a(256 * 1024, 'a'), b(128 * 1024, 'b');
  m::write_file_atomically(file, a);
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 100; ++i) m::write_file_atomically(file, i % 2 ? a : b);
    done = true;
  });
  int reads = 0;
  while (!done || reads == 0) {
    const std::string seen = ts::read_file(file);
    ++reads;
    ASSERT_TRUE(seen == a || seen == b) << "read " << seen.size() << " bytes";
  }
  writer.join();
}

TEST(ReportFile, AnAppendingFileHoldsWhatWasAppendedAtOnce) {
  const auto file = fresh_dir() + "/h/history.csv";
  m::appending_file h(file);
  h.append("header\n");
  EXPECT_EQ(ts::read_file(file), "header\n") << "flushed, while the file is still open";
  h.append("row 1\n");
  EXPECT_EQ(ts::read_file(file), "header\nrow 1\n");
  m::appending_file again(file);
  EXPECT_EQ(ts::read_file(file), "") << "a new test starts the file again";
}

TEST(ReportFile, AnAppendingFileRemovedWhileOpenIsWrittenAgainWholeAtItsPath) {
  const auto dir = fresh_dir() + "/h";
  const auto file = dir + "/history.csv";
  m::appending_file h(file);
  h.append("header\nrow 1\n");
  fs::remove(file);  // rm results/r_stats_history.csv mid-test
  h.append("row 2\n");
  EXPECT_EQ(ts::read_file(file), "header\nrow 1\nrow 2\n")
      << "appended to the removed file's handle, the rows went nowhere";
  fs::remove_all(dir);  // rm -rf results/
  h.append("row 3\n");
  EXPECT_EQ(ts::read_file(file), "header\nrow 1\nrow 2\nrow 3\n");
  fs::rename(file, dir + "/moved.csv");
  h.append("row 4\n");
  EXPECT_EQ(ts::read_file(file), "header\nrow 1\nrow 2\nrow 3\nrow 4\n");
  EXPECT_EQ(ts::read_file(dir + "/moved.csv"), "header\nrow 1\nrow 2\nrow 3\n")
      << "the file moved away is left as it was";
  EXPECT_EQ(files_in(dir), (std::vector<std::string>{"history.csv", "moved.csv"}))
      << "no temporary left";
}

swarmlet::proto::stats_report report(std::uint64_t seq, int users, int slash, int items) {
  swarmlet::proto::stats_report r;
  r.worker_id = "w1";
  r.run_id = 1;
  r.sequence = seq;
  r.users = users;
  for (int i = 0; i < slash; ++i) r.delta.entry("GET", "/").record(1000, 10, false);
  for (int i = 0; i < items; ++i) r.delta.entry("POST", "/items").record(2000, 20, i == 0);
  if (items > 0) r.delta.record_error("POST", "/items", "HTTP 500", 1);
  return r;
}

TEST(LiveReports, TheHistoryGrowsEveryTickAndTheRestIsRewrittenEveryInterval) {
  const auto dir = fresh_dir();
  swarmlet::config::report_spec spec;
  spec.csv_prefix = dir + "/run";
  spec.json_file = dir + "/run.json";
  m::live_reports live(spec, m::live_report_options{false, 3s});
  EXPECT_EQ(lines_of(ts::read_file(dir + "/run_stats_history.csv")).size(), 1u) << "the header";
  EXPECT_EQ(ts::read_file(dir + "/run_exceptions.csv"), "Count,Message,Traceback,Nodes\n");

  swarmlet::green::hub hub;
  swarmlet::green::manual_clock clock;
  m::aggregator a(1);
  a.use_clock(clock);
  m::run_summary run;
  clock.advance(1s);
  ASSERT_TRUE(a.add(report(1, 2, 5, 0)));
  a.tick(1, 2);
  run.duration_s = 1;
  live.tick(a, run, 1s);
  auto history = lines_of(ts::read_file(dir + "/run_stats_history.csv"));
  ASSERT_EQ(history.size(), 2u);
  EXPECT_NE(history[1].find(",2,,Aggregated,5.000000,0.000000,"), std::string::npos) << history[1];
  auto json = nlohmann::json::parse(ts::read_file(dir + "/run.json"));
  EXPECT_EQ(json["totals"]["requests"], 5);
  EXPECT_EQ(json["complete"], false);
  EXPECT_TRUE(json["passed"].is_null()) << "nothing is judged before the end";
  EXPECT_NE(ts::read_file(dir + "/run_stats.csv").find("Aggregated,5,0,"), std::string::npos);

  clock.advance(1s);
  ASSERT_TRUE(a.add(report(2, 3, 1, 2)));
  a.tick(2, 3);
  live.tick(a, run, 2s);
  EXPECT_EQ(lines_of(ts::read_file(dir + "/run_stats_history.csv")).size(), 3u);
  EXPECT_EQ(nlohmann::json::parse(ts::read_file(dir + "/run.json"))["totals"]["requests"], 5)
      << "not rewritten within its interval";
  EXPECT_EQ(ts::read_file(dir + "/run_failures.csv"), "Method,Name,Error,Occurrences\n");

  a.tick(4, 3);
  live.tick(a, run, 4s);
  EXPECT_EQ(nlohmann::json::parse(ts::read_file(dir + "/run.json"))["totals"]["requests"], 8);
  EXPECT_EQ(ts::read_file(dir + "/run_failures.csv"),
            "Method,Name,Error,Occurrences\nPOST,/items,HTTP 500,1\n");
  a.tick(5, 0);
  live.finish(a);
  history = lines_of(ts::read_file(dir + "/run_stats_history.csv"));
  ASSERT_EQ(history.size(), 5u);
  EXPECT_NE(history[4].find(",0,,Aggregated,"), std::string::npos) << history[4];
  EXPECT_EQ(history, lines_of(m::history_csv(a))) << "the same rows as the API's download";
  EXPECT_EQ(files_in(dir),
            (std::vector<std::string>{"run.json", "run_exceptions.csv", "run_failures.csv",
                                      "run_stats.csv", "run_stats_history.csv", "unused"}));
}

TEST(LiveReports, TheHistoryFileKeepsEverySecondWhenTheChartsAreThinned) {
  const auto dir = fresh_dir();
  swarmlet::config::report_spec spec;
  spec.csv_prefix = dir + "/run";
  m::live_reports live(spec, m::live_report_options{false, 1h});
  swarmlet::green::hub hub;
  swarmlet::green::manual_clock clock;
  m::aggregator a(1);
  a.use_clock(clock);
  const int seconds = static_cast<int>(m::thinned_history::default_max_rows) * 3 / 2;
  for (int s = 1; s <= seconds; ++s) {
    clock.advance(1s);
    ASSERT_TRUE(a.add(report(static_cast<std::uint64_t>(s), 1, 1, 0)));
    a.tick(s, 1);
    live.tick(a, {}, std::chrono::seconds(s));
  }
  const auto file = lines_of(ts::read_file(dir + "/run_stats_history.csv"));
  ASSERT_EQ(file.size(), static_cast<std::size_t>(seconds) + 1) << "a row a second and the header";
  EXPECT_NE(file.back().find(",1,,Aggregated,1.000000,0.000000,"), std::string::npos)
      << file.back();
  const auto charts = lines_of(m::history_csv(a));
  EXPECT_LE(charts.size(), m::thinned_history::default_max_rows + 1);
  EXPECT_GE(charts.size(), m::thinned_history::default_max_rows / 2);
  EXPECT_EQ(a.history().stride(), 2u);
}

TEST(LiveReports, FullHistoryHasARowPerNameBeforeTheAggregatedRow) {
  const auto dir = fresh_dir();
  swarmlet::config::report_spec spec;
  spec.csv_prefix = dir + "/run";
  m::live_reports live(spec, m::live_report_options{true, 3s});
  swarmlet::green::hub hub;
  swarmlet::green::manual_clock clock;
  m::aggregator a(1);
  a.use_clock(clock);
  clock.advance(1s);
  ASSERT_TRUE(a.add(report(1, 4, 3, 2)));
  a.tick(1, 4);
  live.tick(a, m::run_summary{}, 1s);
  const auto history = lines_of(ts::read_file(dir + "/run_stats_history.csv"));
  ASSERT_EQ(history.size(), 4u);
  EXPECT_EQ(history[0].rfind("Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,", 0), 0u);
  // Timestamp, users, then the name's current rates, percentiles and its own totals.
  const auto fields = [](const std::string& line) {
    std::vector<std::string> f;
    std::istringstream in(line);
    for (std::string x; std::getline(in, x, ',');) f.push_back(x);
    return f;
  };
  const auto slash = fields(history[1]), items = fields(history[2]), all = fields(history[3]);
  ASSERT_EQ(slash.size(), all.size());
  EXPECT_EQ(slash[1], "4");
  EXPECT_EQ(slash[2], "GET");
  EXPECT_EQ(slash[3], "/");
  EXPECT_EQ(slash[4], "3.000000");
  EXPECT_EQ(slash[6], "1") << "its median (ms), from its current window";
  EXPECT_EQ(items[2], "POST");
  EXPECT_EQ(items[3], "/items");
  EXPECT_EQ(items[5], "1.000000") << "failures per second";
  EXPECT_EQ(items[6], "2");
  const std::size_t count = all.size() - 7;  // Total Request Count
  EXPECT_EQ(slash[count], "3");
  EXPECT_EQ(items[count], "2");
  EXPECT_EQ(items[count + 1], "1");
  EXPECT_EQ(all[3], "Aggregated");
  EXPECT_EQ(all[count], "5");
}

TEST(Reports, ExceptionsAreCountedPerMessageAndTracebackWithTheirWorkers) {
  m::aggregator a(1);
  EXPECT_EQ(m::exceptions_csv(a), "Count,Message,Traceback,Nodes\n");
  a.add_exception("w2", "attempt to index a nil value", "checkout.lua:12: in task\nmain", 2);
  a.add_exception("w1", "attempt to index a nil value", "checkout.lua:12: in task\nmain");
  a.add_exception("w1", "boom", "x.lua:1");
  // A carriage return is quoted too (QA: unquoted, a CSV reader split the row in two).
  a.add_exception("w1", "cr\rhere", "y.lua:2");
  EXPECT_EQ(m::exceptions_csv(a),
            "Count,Message,Traceback,Nodes\n"
            "3,attempt to index a nil value,\"checkout.lua:12: in task\nmain\",\"w1, w2\"\n"
            "1,boom,x.lua:1,w1\n"
            "1,\"cr\rhere\",y.lua:2,w1\n");
  const auto json = m::summary_json(a, m::run_summary{})["exceptions"];
  ASSERT_EQ(json.size(), 3u);
  EXPECT_EQ(json[0]["count"], 3);
  EXPECT_EQ(json[0]["workers"], nlohmann::json({"w1", "w2"}));
  a.reset_stats();
  EXPECT_TRUE(a.exceptions().empty()) << "reset with the stats, as Locust's reset";
}

// The history keeps per second only the figures it shows, not the histograms (which grew the
// master for as long as a test ran): every figure must be the one the full stats give, as
// before. The reference here merges the same requests into full stats, window by window.
TEST(History, RowsShowTheFiguresOfTheFullStatsOfTheirWindowAndOfTheTotals) {
  swarmlet::green::hub hub;
  swarmlet::green::manual_clock clock;
  m::aggregator a(1);
  a.use_clock(clock);
  std::deque<swarmlet::stats::request_stats> intervals;
  swarmlet::stats::request_stats total;
  std::uint64_t seed = 7;
  const auto next = [&seed] { return seed = seed * 6364136223846793005u + 1442695040888963407u; };
  const std::string csv_before = m::history_csv(a);
  for (std::uint64_t second = 1; second <= 25; ++second) {
    clock.advance(1s);
    swarmlet::proto::stats_report r;
    r.worker_id = "w1";
    r.run_id = 1;
    r.sequence = second;
    r.users = static_cast<int>(second);
    swarmlet::stats::request_stats interval;
    // Seconds 4 and 5 bring nothing: a window and a row of no requests show as before too.
    const int requests = second == 4 || second == 5 ? 0 : static_cast<int>(next() % 300);
    for (int i = 0; i < requests; ++i) {
      const std::uint64_t us = 200 + next() % (second * 40'000);
      const std::uint64_t bytes = next() % 5000;
      const bool failed = next() % 7 == 0;
      r.delta.entry("GET", second % 2 ? "/a" : "/b").record(us, bytes, failed);
      interval.record(us, bytes, failed);
    }
    ASSERT_TRUE(a.add(r));
    total.merge(interval);
    intervals.push_back(interval);
    if (intervals.size() > m::aggregator::window_intervals) intervals.pop_front();
    a.tick(static_cast<double>(second), r.users);

    swarmlet::stats::request_stats window;
    for (const auto& s : intervals) window.merge(s);
    const m::history_row& row = (*a.history().last());
    EXPECT_DOUBLE_EQ(row.rps, static_cast<double>(window.requests) / intervals.size());
    EXPECT_EQ(row.window.requests, window.requests);
    for (double q : m::report_quantiles)
      EXPECT_EQ(row.window.percentile_ms(q), window.percentile_ms(q)) << "second " << second;
    EXPECT_EQ(row.total.requests, total.requests);
    EXPECT_EQ(row.total.failures, total.failures);
    EXPECT_EQ(row.total.median_ms, total.percentile_ms(0.5));
    EXPECT_EQ(row.total.average_ms, total.average_ms());
    EXPECT_EQ(row.total.min_ms, total.min_ms());
    EXPECT_EQ(row.total.max_ms, total.max_ms());
    EXPECT_EQ(row.total.average_bytes, total.average_bytes());

    // The CSV row as it was written from the full stats.
    std::string now;
    for (double q : m::report_quantiles)
      now += (now.empty() ? "" : ",") +
             (window.requests ? fmt::format("{:.0f}", window.percentile_ms(q)) : "N/A");
    const std::string expected = fmt::format(
        "{},{},,Aggregated,{:.6f},{:.6f},{},{},{},{},{},{},{},{}", row.unix_time, second,
        static_cast<double>(window.requests) / intervals.size(),
        static_cast<double>(window.failures) / intervals.size(), now, total.requests,
        total.failures, total.requests ? fmt::format("{:.0f}", total.percentile_ms(0.5)) : "0",
        total.average_ms(), total.min_ms(), total.max_ms(), total.average_bytes());
    EXPECT_EQ(lines_of(m::history_csv(a)).back(), expected);
  }
  EXPECT_EQ(lines_of(m::history_csv(a)).size(), 26u);
  EXPECT_EQ(csv_before, m::history_header());
  EXPECT_THROW((void)(*a.history().last()).window.percentile_ms(0.42), std::logic_error)
      << "a quantile the history does not keep is a programming error, not a silent 0";
}

TEST(Reports, ExceptionsOfReportsAreMergedWithTheWorkerThatSentThem) {
  m::aggregator a(1);
  auto report = [](const std::string& worker, std::uint64_t sequence, std::uint64_t n) {
    swarmlet::proto::stats_report r;
    r.worker_id = worker;
    r.run_id = 1;
    r.sequence = sequence;
    r.exceptions.record("a.lua:4: boom", "stack traceback:\n\ta.lua:4: in function <a.lua:3>", n);
    return r;
  };
  ASSERT_TRUE(a.add(report("w1", 1, 2)));
  ASSERT_TRUE(a.add(report("w2", 1, 3)));
  ASSERT_FALSE(a.add(report("w2", 1, 3))) << "a repeat";
  auto other_run = report("w1", 2, 100);
  other_run.run_id = 9;
  ASSERT_FALSE(a.add(other_run));
  ASSERT_EQ(a.exceptions().size(), 1u);
  const auto& e = a.exceptions().begin()->second;
  EXPECT_EQ(e.count, 5u) << "neither the repeat nor another run's report counts";
  EXPECT_EQ(e.workers, (std::set<std::string>{"w1", "w2"}));
  EXPECT_NE(m::html_report(swarmlet::config::scenario{}, a, m::run_summary{})
                .find("<td>5</td><td class=l>a.lua:4: boom</td><td class=l><pre>stack "
                      "traceback:\n\ta.lua:4: in function &lt;a.lua:3&gt;</pre></td><td "
                      "class=l>w1, w2</td>"),
            std::string::npos);
}

TEST(Reports, TheHtmlReportShowsTheOpenModelsDroppedIterationsAndLag) {
  // QA: 20 of 31 iterations dropped, and the HTML said only "no request failed".
  m::aggregator a(1);
  swarmlet::proto::stats_report r;
  r.worker_id = "w1";
  r.run_id = 1;
  r.sequence = 1;
  auto& e = r.delta.entry("GET", "/slow");
  e.record_scheduled(250'000, 240'000, 10, false);  // 10 ms late, 240 ms of service
  e.dropped = 20;
  r.delta.lag().record(10'000, 0, false);
  ASSERT_TRUE(a.add(std::move(r)));
  const auto html = m::html_report(swarmlet::config::scenario{}, a, m::run_summary{});
  EXPECT_NE(html.find("<table id=\"open-model\">"), std::string::npos);
  EXPECT_NE(html.find("<td class=l>GET</td><td class=l>/slow</td><td>20</td><td>250."),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("<p id=\"dropped\">20 iterations dropped"), std::string::npos);
  EXPECT_NE(html.find("no request failed. 20 iterations were dropped (see Open model).</p>"),
            std::string::npos)
      << "the verdict says so";
  EXPECT_NE(html.find("Generator lag behind its schedule: p50 10."), std::string::npos) << html;
  // A closed-model test has no such section.
  m::aggregator closed(1);
  EXPECT_EQ(
      m::html_report(swarmlet::config::scenario{}, closed, m::run_summary{}).find("open-model"),
      std::string::npos);
}

TEST(Reports, TheHtmlReportListsTheTestsWarnings) {
  m::aggregator a(1);
  m::run_summary run;
  EXPECT_EQ(m::html_report(swarmlet::config::scenario{}, a, run).find("id=\"warnings\""),
            std::string::npos)
      << "none: no section";
  run.warnings = {"worker w1: hub thread 0 ran 503 ms <at a stretch>", "second"};
  EXPECT_NE(m::html_report(swarmlet::config::scenario{}, a, run)
                .find("<h2>Warnings</h2><ul id=\"warnings\"><li>worker w1: hub thread 0 ran 503 "
                      "ms &lt;at a stretch&gt;</li><li>second</li></ul>"),
            std::string::npos);
}

TEST(Reports, TheMasterKeepsABoundedNumberOfDistinctExceptions) {
  m::aggregator a(1);
  const std::size_t n = m::aggregator::max_exceptions + 500;
  for (std::size_t i = 0; i < n; ++i)
    a.add_exception("w" + std::to_string(i % 3), "order " + std::to_string(i) + " failed", "tb");
  a.add_exception("w0", "order 0 failed", "tb", 9);  // known: its own record still
  EXPECT_EQ(a.exceptions().size(), m::aggregator::max_exceptions + 1);
  std::uint64_t total = 0;
  for (const auto& [key, e] : a.exceptions()) total += e.count;
  EXPECT_EQ(total, n + 9) << "nothing is lost, only grouped";
  const auto other = a.exceptions().find({swarmlet::stats::exception_table::other_exceptions, ""});
  ASSERT_NE(other, a.exceptions().end());
  EXPECT_EQ(other->second.count, 500u);
  EXPECT_EQ(other->second.workers.size(), 3u);
  EXPECT_EQ(a.exceptions_by_count().front()->count, 500u) << "the most frequent first";
}

}  // namespace

TEST(Reports, WithoutThresholdsAFailedRequestFailsTheVerdictAsItFailsTheExitCode) {
  swarmlet::green::hub hub;
  m::aggregator a(1);
  m::run_summary run;
  run.complete = true;
  EXPECT_TRUE(run.passed());
  EXPECT_NE(m::html_report(swarmlet::config::scenario{}, a, run)
                .find("No thresholds were set, and no request failed."),
            std::string::npos);
  run.failed_requests = 48906;
  EXPECT_FALSE(run.passed()) << "the exit code is 1: the JSON must not say it passed";
  EXPECT_EQ(m::summary_json(a, run)["passed"], false);
  EXPECT_NE(m::html_report(swarmlet::config::scenario{}, a, run)
                .find("<p class=\"verdict fail\">No thresholds were set, and 48906 requests "
                      "failed.</p>"),
            std::string::npos);
  run.failures_fail = false;  // --exit-code-on-error 0
  EXPECT_TRUE(run.passed());
  run.setup_error = "main.lua:3: boom";
  EXPECT_FALSE(run.passed());
}
