// The cap on request names: a test that names requests after ids or uuids must not grow a
// worker's or the master's tables without bound.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "common/stats/name_admission.hpp"
#include "common/stats/stats_table.hpp"

namespace s = swarmlet::stats;

namespace {
std::uint64_t requests_of(const s::stats_table& t, const std::string& method,
                          const std::string& name) {
  auto it = t.entries().find(s::request_key{method, name});
  return it == t.entries().end() ? 0 : it->second.requests;
}
}  // namespace

TEST(NameCap, NamesBeyondTheCapAreCountedInTheOtherNamesRowOfTheirMethod) {
  s::stats_table t;
  t.cap_names(3);
  for (int i = 0; i < 10; ++i) t.entry("GET", "/items/" + std::to_string(i)).record(1000, 1, false);
  t.entry("POST", "/new").record(1000, 1, false);
  t.entry("GET", "/items/1").record(1000, 1, false);  // known: still its own row
  EXPECT_EQ(requests_of(t, "GET", "/items/0"), 1u);
  EXPECT_EQ(requests_of(t, "GET", "/items/1"), 2u);
  EXPECT_EQ(requests_of(t, "GET", s::stats_table::other_names), 7u);
  EXPECT_EQ(requests_of(t, "POST", s::stats_table::other_names), 1u);
  EXPECT_EQ(t.folded_requests(), 8u);
  EXPECT_EQ(t.total().requests, 12u) << "nothing is lost, only grouped";
}

TEST(NameCap, TablesSharingAnAdmissionKeepEveryNamesRowWholeWhateverTheOrder) {
  // QA hunt: each hub thread kept the first max_names names it met, and the report's merge its
  // own first ones: a name whole on one thread was folded on the other, and its row in the
  // report showed 2 of its 108 requests.
  auto names = std::make_shared<s::name_admission>(5);
  s::stats_table one, two;
  for (auto* t : {&one, &two}) {
    t->cap_names(5);
    t->share_admission(names);
  }
  std::map<std::string, std::uint64_t> sent;
  for (int i = 0; i < 20; ++i) {  // met in opposite orders
    const std::string up = "n" + std::to_string(i), down = "n" + std::to_string(19 - i);
    for (int k = 0; k <= i % 3; ++k) {
      one.entry("GET", up).record(1000, 1, false);
      two.entry("GET", down).record(1000, 1, false);
      ++sent[up];
      ++sent[down];
    }
  }
  s::stats_table report;
  report.cap_names(5);
  report.share_admission(names);
  report.merge(two.take_delta());  // "(other names)" sorts first: it took a place of its own
  report.merge(one.take_delta());
  std::size_t named = 0;
  for (const auto& [key, st] : report.entries()) {
    if (key.name == s::stats_table::other_names) continue;
    ++named;
    EXPECT_EQ(st.requests, sent[key.name]) << key.name << ": a row of its own has every request";
  }
  EXPECT_EQ(named, 5u);
  std::uint64_t all = 0;
  for (const auto& [name, n] : sent) all += n;
  EXPECT_EQ(report.total().requests, all) << "nothing is lost";
}

TEST(NameCap, EvenOtherNamesRowsAreBoundedWhenMethodsAreMadeUp) {
  s::stats_table t;
  t.cap_names(2);
  for (int i = 0; i < 1000; ++i) t.entry("M" + std::to_string(i), "/x").record(1000, 1, false);
  EXPECT_LE(t.entries().size(), 2u + 17u);
  EXPECT_EQ(t.total().requests, 1000u);
  EXPECT_GT(requests_of(t, "*", s::stats_table::other_names), 0u);
}

TEST(NameCap, MergeFoldsTheSameWayAndErrorsAreCappedToo) {
  s::stats_table worker;  // uncapped enough: a worker with a larger cap
  worker.cap_names(100);
  for (int i = 0; i < 5; ++i) {
    worker.entry("GET", "/u/" + std::to_string(i)).record(1000, 1, true);
    worker.record_error("GET", "/u/" + std::to_string(i), "HTTP 500");
  }
  s::stats_table master;
  master.cap_names(2);
  master.merge(worker);
  EXPECT_EQ(master.entries().size(), 3u);
  EXPECT_EQ(master.folded_requests(), 3u);
  EXPECT_EQ(master.errors().size(), 3u);
  std::uint64_t errors = 0;
  for (const auto& [k, n] : master.errors()) errors += n;
  EXPECT_EQ(errors, 5u);

  // A per-second table fed "as counted here" holds the same rows as the totals.
  const s::stats_table second = master.counted_as_here(worker);
  for (const auto& [key, st] : second.entries()) EXPECT_TRUE(master.entries().count(key));
  EXPECT_EQ(second.total().requests, 5u);
}

TEST(NameCap, TakeDeltaKeepsTheCap) {
  s::stats_table t;
  t.cap_names(1);
  t.entry("GET", "/a").record(1000, 1, false);
  auto delta = t.take_delta();
  EXPECT_EQ(delta.max_names(), 1u);
  t.entry("GET", "/b").record(1000, 1, false);
  EXPECT_EQ(requests_of(t, "GET", s::stats_table::other_names), 1u);
}

TEST(NameCap, AReportIsFoldedToTheRowsAndErrorsItMayCarryEveryCountKept) {
  // QA: a script naming each request after a uuid put 2,000 names in one report, and the master
  // refused the whole report. The worker now folds a report to what it may carry.
  s::stats_table t;
  for (int i = 0; i < 5000; ++i) {
    const std::string name = "/?id=" + std::to_string(i);
    t.entry("GET", name).record(1000, 1, true);
    t.record_error("GET", name, "order " + std::to_string(i) + " rejected");
  }
  for (int i = 0; i < 50; ++i) t.entry("POST", "/login").record(1000, 1, false);
  for (int i = 0; i < 30; ++i) t.record_error("POST", "/login", "HTTP 401");
  t.fold_past(s::stats_table::max_report_rows, s::stats_table::max_report_errors);

  EXPECT_LE(t.entries().size(), s::stats_table::max_report_rows);
  EXPECT_LE(t.errors().size(), s::stats_table::max_report_errors);
  EXPECT_EQ(t.total().requests, 5050u);
  EXPECT_EQ(t.total().failures, 5000u);
  EXPECT_EQ(requests_of(t, "POST", "/login"), 50u) << "the busiest name keeps its row";
  EXPECT_GT(requests_of(t, "GET", s::stats_table::other_names), 3000u);
  std::uint64_t errors = 0;
  for (const auto& [k, n] : t.errors()) errors += n;
  EXPECT_EQ(errors, 5030u);
  EXPECT_EQ(t.errors().at(s::error_key{"POST", "/login", "HTTP 401"}), 30u)
      << "the most frequent error keeps its row";
  const s::error_key other{"*", s::stats_table::other_names, s::stats_table::other_errors};
  ASSERT_TRUE(t.errors().count(other));
  EXPECT_EQ(t.errors().at(other), 5000u - (s::stats_table::max_report_errors - 2));
}

TEST(NameCap, FoldingAReportWithinItsLimitsChangesNothingAndMadeUpMethodsStayBounded) {
  s::stats_table t;
  for (int i = 0; i < 100; ++i) t.entry("GET", "/" + std::to_string(i)).record(1000, 1, false);
  t.fold_past(100, 100);
  EXPECT_EQ(t.entries().size(), 100u);
  EXPECT_EQ(t.folded_requests(), 0u);

  s::stats_table methods;
  for (int i = 0; i < 500; ++i) methods.entry("M" + std::to_string(i), "/x").record(1000, 1, false);
  methods.fold_past(100, 100);
  EXPECT_LE(methods.entries().size(), 100u);
  EXPECT_EQ(methods.total().requests, 500u);
  EXPECT_GT(requests_of(methods, "*", s::stats_table::other_names), 0u);
}

TEST(NameCap, ScriptErrorsAreNotRequestsAndStayApartWhenFolded) {
  // QA: a script whose tasks failed before sending anything put its errors' 0 ms in the
  // Aggregated percentiles and rate, and a broken script passed "p(70) < 10ms".
  s::stats_table t;
  for (int i = 0; i < 3; ++i) t.entry("GET", "/slow").record(50'000, 1, false);
  for (int i = 0; i < 9; ++i) t.entry(s::script_error_method, "buggy").record(20, 0, true);
  EXPECT_EQ(t.total().requests, 3u);
  EXPECT_EQ(t.total().failures, 0u);
  EXPECT_DOUBLE_EQ(t.total().min_ms(), 50.0);
  EXPECT_EQ(t.script_errors().requests, 9u);
  EXPECT_EQ(t.script_errors().failures, 9u);
  EXPECT_EQ(t.all_rows().requests, 12u);

  // Past every other_names row a method may have, names go to one shared row: never the
  // script errors, which would become requests there.
  s::stats_table methods;
  for (int i = 0; i < 500; ++i) methods.entry("M" + std::to_string(i), "/x").record(1000, 1, false);
  for (int i = 0; i < 300; ++i)
    methods.entry(s::script_error_method, "task " + std::to_string(i)).record(10, 0, true);
  methods.fold_past(100, 100);
  EXPECT_LE(methods.entries().size(), 100u);
  EXPECT_EQ(methods.total().requests, 500u);
  EXPECT_EQ(methods.script_errors().requests, 300u);

  s::stats_table capped;
  capped.cap_names(20);
  for (int i = 0; i < 40; ++i) capped.entry("M" + std::to_string(i), "/x").record(1000, 1, false);
  for (int i = 0; i < 5; ++i)
    capped.entry(s::script_error_method, "task " + std::to_string(i)).record(10, 0, true);
  EXPECT_EQ(capped.total().requests, 40u);
  EXPECT_EQ(capped.script_errors().requests, 5u);
  s::stats_table master;
  master.cap_names(20);
  master.merge(capped);
  EXPECT_EQ(master.total().requests, 40u);
  EXPECT_EQ(master.script_errors().requests, 5u);
}

TEST(NameCap, ANameOrAnErrorLongerThanAReportCarriesIsCutAsItIsRecorded) {
  // The master refuses a report with a text past max_text (as from no honest worker): a name or
  // an error a script made that long (error(r.body), say) got every report refused.
  s::stats_table t;
  const std::string long_name(s::stats_table::max_text + 1, 'n');
  const std::string cut = std::string(s::stats_table::max_text - 3, 'n') + "...";
  t.entry("GET", long_name).record(1000, 1, false);
  t.entry("GET", long_name).record(1000, 1, false);
  EXPECT_EQ(requests_of(t, "GET", cut), 2u) << "one row, under the cut name";
  EXPECT_EQ(t.entries().size(), 1u);
  t.record_error("GET", long_name, std::string(5000, 'e'));
  t.record_error("GET", long_name, std::string(5000, 'e'));
  ASSERT_EQ(t.errors().size(), 1u);
  const auto& [key, n] = *t.errors().begin();
  EXPECT_EQ(key.name, cut);
  EXPECT_EQ(key.message, std::string(s::stats_table::max_text - 3, 'e') + "...");
  EXPECT_EQ(n, 2u);
  const std::string fits(s::stats_table::max_text, 'f');
  t.entry("GET", fits).record(1000, 1, false);
  EXPECT_EQ(requests_of(t, "GET", fits), 1u) << "the longest that fits is kept whole";
}
