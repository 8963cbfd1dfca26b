// The console's stats table: current rates while a test runs, the whole run's at its end.
#include "master/console.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "common/green/hub.hpp"
#include "common/green/manual_clock.hpp"
#include "master/aggregator.hpp"
#include "master/printable_text.hpp"

namespace m = swarmlet::master;

namespace {

/// `requests` GETs of / (one failed) in second `second` of worker w1's run.
swarmlet::proto::stats_report second_of(std::uint64_t second, int requests) {
  swarmlet::proto::stats_report r;
  r.worker_id = "w1";
  r.run_id = 1;
  r.sequence = second;
  r.users = 1;
  for (int i = 0; i < requests; ++i) r.delta.entry("GET", "/").record(1000, 10, i == 0);
  return r;
}

/// The last two fields (req/s, failures/s) of the table's row named `name`.
std::string rates_of(const std::string& table, const std::string& name) {
  std::istringstream in(table);
  for (std::string line; std::getline(in, line);) {
    if (line.find(" " + name + " ") == std::string::npos) continue;
    const auto bar = line.rfind('|');
    std::istringstream fields(line.substr(bar + 1));
    std::string rps, fails;
    fields >> rps >> fails;
    return rps + " " + fails;
  }
  return "no row " + name;
}

TEST(Console, TheTableShowsCurrentRatesWhileRunningAndTheWholeRunsAtTheEnd) {
  swarmlet::green::hub hub;
  swarmlet::green::manual_clock clock;
  m::aggregator a(1);
  a.use_clock(clock);
  // 60 requests a second for 10 s, then 20 a second for 10 s: 800 in 20 s, 40/s over the run;
  // the last 10 s window holds 20/s.
  for (std::uint64_t s = 1; s <= 20; ++s) {
    clock.advance(std::chrono::seconds(1));
    ASSERT_TRUE(a.add(second_of(s, s <= 10 ? 60 : 20)));
    a.tick(static_cast<double>(s), 1);
  }
  EXPECT_EQ(rates_of(m::format_stats_table(a), "/"), "20.00 1.00");
  EXPECT_EQ(rates_of(m::format_stats_table(a), "Aggregated"), "20.00 1.00");
  EXPECT_EQ(rates_of(m::format_stats_table(a, 20.0), "/"), "40.00 1.00");
  EXPECT_EQ(rates_of(m::format_stats_table(a, 20.0), "Aggregated"), "40.00 1.00");
  EXPECT_EQ(rates_of(m::format_stats_table(a, 0.0), "Aggregated"), "0.00 0.00")
      << "a run that never started has no rate";
}

TEST(Console, TheErrorReportShowsTheMostFrequentAndCountsTheRest) {
  swarmlet::stats::stats_table t;
  t.record_error("GET", "/a", "HTTP 500", 7);
  for (int i = 0; i < 30; ++i) t.record_error("GET", "/u", "no user " + std::to_string(i), 1);
  t.record_error("GET", "/b", "HTTP 503", 3);
  const std::string table = m::format_errors_table(t, 3);
  EXPECT_EQ(table,
            "Error report\n"
            " # occurrences  Error\n"
            "             7  GET /a: HTTP 500\n"
            "             3  GET /b: HTTP 503\n"
            "             1  GET /u: no user 0\n"
            "            29  ... and 29 other errors (every one is in the reports)\n");
  EXPECT_NE(m::format_errors_table(t).find(" ... and 12 other errors"), std::string::npos)
      << "20 by default: 32 rows, 12 more";
}

TEST(Console, AWorkerRestartedUnderItsIdIsSaidSo) {
  m::worker_event e;
  e.at_s = 4.2;
  e.worker = "b";
  e.index = 1;
  e.event = "restarted";
  const std::string text = m::format_worker_events({e});
  EXPECT_NE(text.find("b (worker index 1)  restarted: a new process under this id; the one "
                      "before is taken for gone with its users (its numbers: 'b (before its "
                      "restart)')"),
            std::string::npos)
      << text << " (not 'took 0 users')";
}

TEST(Console, AWorkerWithNoIndexIsNamedWithoutOne) {
  // QA read "w1 (worker index -1) restarted": the process before had gone missing, and with
  // it its ${worker_index}.
  m::worker_event e;
  e.at_s = 4.2;
  e.worker = "w1";
  e.event = "restarted";
  const std::string text = m::format_worker_events({e});
  EXPECT_EQ(text.find("-1"), std::string::npos) << text;
  EXPECT_NE(text.find("4.2 s  w1  restarted: a new process"), std::string::npos) << text;
}

}  // namespace

TEST(Printable, APeersControlBytesAndNonUtf8AreEscapedItsUtf8Kept) {
  EXPECT_EQ(swarmlet::master::printable("w\x1b[2J\xff caf\xc3\xa9\n"),
            "w\\x1b[2J\\xff caf\xc3\xa9\\x0a");
  EXPECT_EQ(swarmlet::master::printable("\xc3"), "\\xc3") << "a sequence cut short";
  EXPECT_EQ(swarmlet::master::printable("\xed\xa0\x80"), "\\xed\\xa0\\x80") << "a surrogate";
  EXPECT_EQ(swarmlet::master::printable("a\xc2\x9b"
                                        "2Jb"),
            "a\\xc2\\x9b2Jb")
      << "C1's CSI";
  EXPECT_EQ(swarmlet::master::printable("\xc2\x80\xc2\x9f\xc2\xa0"), "\\xc2\\x80\\xc2\\x9f\xc2\xa0")
      << "C1 from U+0080 to U+009F; a no-break space is text";
  EXPECT_EQ(swarmlet::master::printable("ok \xe2\x80\xae"
                                        "evil\xe2\x81\xa9 \xe2\x80\x94"),
            "ok \\xe2\\x80\\xaeevil\\xe2\\x81\\xa9 \xe2\x80\x94")
      << "bidirectional overrides and isolates; an em dash is text";
  EXPECT_EQ(swarmlet::master::printable("a\xe2\x80\x8e"
                                        "b\xe2\x80\x8f"
                                        "c\xd8\x9c"
                                        "d\xe2\x80\x8d\xd8\x9b"),
            "a\\xe2\\x80\\x8eb\\xe2\\x80\\x8fc\\xd8\\x9cd\xe2\x80\x8d\xd8\x9b")
      << "the marks LRM, RLM and ALM; a zero-width joiner and an Arabic semicolon are text";
}

TEST(ValidUtf8, EachByteThatIsNoCharacterBecomesUFFFDAsInTheJsonReport) {
  using swarmlet::master::valid_utf8;
  EXPECT_EQ(valid_utf8("caf\xc3\xa9 \xf0\x9f\x90\x9d"), "caf\xc3\xa9 \xf0\x9f\x90\x9d");
  EXPECT_EQ(valid_utf8("bad\xffname"), "bad\xef\xbf\xbdname");
  EXPECT_EQ(valid_utf8("\xc3"), "\xef\xbf\xbd") << "cut short";
  EXPECT_EQ(valid_utf8("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd") << "overlong";
  EXPECT_EQ(valid_utf8("\xf4\x90\x80\x80").size(), 12u) << "past U+10FFFF";
}

namespace {

TEST(Console, DroppedIterationsNameRunningOutOfUniqueRowsWhenRowsRanOut) {
  swarmlet::stats::stats_table t;
  t.entry("GET", "/").dropped = 7;
  const std::string plain = m::format_open_model(t);
  EXPECT_NE(plain.find("7 iterations dropped (no idle user: raise max_users)\n"), std::string::npos)
      << plain;
  const std::string out_of_rows = m::format_open_model(t, true);
  EXPECT_NE(out_of_rows.find("7 iterations dropped (no idle user: raise max_users; or no unique "
                             "data row was left)\n"),
            std::string::npos)
      << out_of_rows;
}

}  // namespace

namespace {

TEST(Console, ErrorsAndNamesReachTheConsoleOnOneLineEscaped) {
  // A check's regex with a newline split its row in two; a worker's bytes could move the cursor.
  swarmlet::stats::stats_table t;
  t.record_error("GET", "/a\x1b[2J", "check failed: body does not match 'x\ny'");
  const std::string errors = m::format_errors_table(t, 10);
  EXPECT_NE(errors.find("GET /a\\x1b[2J: check failed: body does not match 'x\\x0ay'\n"),
            std::string::npos)
      << errors;
}

}  // namespace
