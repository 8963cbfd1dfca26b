// The master's stats ingest from frames (names by number, read in place): the same numbers as
// merging whole reports, and the name table survives lost, late and repeated reports.
#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <random>

#include "common/green/hub.hpp"
#include "common/green/manual_clock.hpp"
#include "master/aggregator.hpp"
#include "master/name_numbers.hpp"
#include "proto/stats_frame.hpp"

namespace {

namespace m = swarmlet::master;
namespace p = swarmlet::proto;
namespace st = swarmlet::stats;

/// What a worker sends: `report` encoded with its names, and read as the master reads it.
struct wire_worker {
  std::string id;
  p::report_names names;
  p::stats_frame frame;

  const p::stats_frame& send(const p::stats_report& report) {
    auto error = frame.read(p::encode_stats(id, report, names));
    EXPECT_FALSE(error) << *error;
    return frame;
  }
  /// The master's heartbeat.
  void hear(const m::aggregator& a, std::uint64_t run_id) {
    names.acknowledged(run_id, a.names_known(id));
  }
};

/// `n` workers named w0, w1, ...
std::vector<wire_worker> wire_workers(std::size_t n) {
  std::vector<wire_worker> out(n);
  for (std::size_t w = 0; w < n; ++w) out[w].id = "w" + std::to_string(w);
  return out;
}

p::stats_report report(const std::string& worker, std::uint64_t seq, std::uint64_t& sent,
                       std::mt19937_64& rng, int names) {
  p::stats_report r;
  r.worker_id = worker;
  r.run_id = 1;
  r.sequence = seq;
  std::lognormal_distribution<double> latency(std::log(20000.0), 1.5);
  for (int i = 0; i < 30; ++i) {
    const auto n = rng() % names;
    r.delta.entry(n % 3 ? "GET" : "POST", "/n/" + std::to_string(n))
        .record(static_cast<std::uint64_t>(latency(rng)), n, rng() % 7 == 0);
  }
  r.delta.lag().record(rng() % 5000, 0, false);
  r.delta.versions().http1_1 = 30;
  if (seq % 3 == 0) r.delta.record_error("GET", "/n/1", "HTTP 500", 2);
  if (seq % 4 == 0) r.exceptions.record("a.lua:3: boom", "traceback", 1);
  sent += r.delta.total().requests;
  r.requests_sent = sent;
  return r;
}

void expect_same(const st::request_stats& a, const st::request_stats& b, const std::string& what) {
  EXPECT_EQ(a.requests, b.requests) << what;
  EXPECT_EQ(a.failures, b.failures) << what;
  EXPECT_EQ(a.total_us, b.total_us) << what;
  EXPECT_EQ(a.min_us, b.min_us) << what;
  EXPECT_EQ(a.max_us, b.max_us) << what;
  EXPECT_EQ(a.content_bytes, b.content_bytes) << what;
  EXPECT_TRUE(a.histogram == b.histogram) << what;
  EXPECT_TRUE(a.service == b.service) << what;
}

void expect_same(const m::aggregator& a, const m::aggregator& b) {
  ASSERT_EQ(a.totals().entries().size(), b.totals().entries().size());
  for (const auto& [key, s] : a.totals().entries()) {
    const auto it = b.totals().entries().find(key);
    ASSERT_NE(it, b.totals().entries().end()) << key.name;
    expect_same(s, it->second, key.method + " " + key.name);
    expect_same(a.current_window(key), b.current_window(key), "window of " + key.name);
  }
  EXPECT_EQ(a.totals().errors(), b.totals().errors());
  expect_same(a.totals().lag(), b.totals().lag(), "lag");
  EXPECT_EQ(a.totals().versions().http1_1, b.totals().versions().http1_1);
  const auto& rows_a = a.history().rows();
  const auto& rows_b = b.history().rows();
  ASSERT_EQ(rows_a.size(), rows_b.size());
  for (std::size_t i = 0; i < rows_a.size(); ++i) {
    EXPECT_EQ(rows_a[i].rps, rows_b[i].rps);
    EXPECT_EQ(rows_a[i].total.requests, rows_b[i].total.requests);
  }
  EXPECT_EQ(a.lost_reports(), b.lost_reports());
  EXPECT_EQ(a.lost_requests(), b.lost_requests());
  EXPECT_EQ(a.exceptions_by_count().size(), b.exceptions_by_count().size());
}

TEST(StatsFrameIngest, FramesMergeExactlyAsTheReportsTheyCarryEvenBeyondTheNameCap) {
  std::mt19937_64 rng(7);
  // Names beyond the cap fold into "(other names)" alike; a reset between ticks starts again.
  swarmlet::green::hub hub;
  swarmlet::green::manual_clock clock;
  m::aggregator by_frame(1, 12), by_report(1, 12);
  by_frame.use_clock(clock);
  by_report.use_clock(clock);
  auto workers = wire_workers(3);
  std::vector<std::uint64_t> sent(workers.size());
  for (std::uint64_t seq = 1; seq <= 12; ++seq) {
    clock.advance(std::chrono::seconds(1));
    for (std::size_t w = 0; w < workers.size(); ++w) {
      auto r = report(workers[w].id, seq, sent[w], rng, 20);
      r.stats_resets = by_report.stats_resets();  // the workers were told of the reset
      const auto& frame = workers[w].send(r);
      if (seq == 5 && w == 1) continue;  // lost on the way: both count it lost
      EXPECT_EQ(by_frame.add(frame), m::aggregator::add_result::merged);
      EXPECT_TRUE(by_report.add(r));
      if (seq % 2 == 0) workers[w].hear(by_frame, 1);
    }
    by_frame.tick(static_cast<double>(seq), 3);
    by_report.tick(static_cast<double>(seq), 3);
    if (seq == 8) {
      by_frame.reset_stats();
      by_report.reset_stats();
    }
  }
  expect_same(by_frame, by_report);
  EXPECT_EQ(by_frame.lost_reports(), 1u);
  EXPECT_GT(by_frame.lost_requests(), 0u);
}

// A frame's figures wait in their name's row until a tick or a reader of the totals folds them
// in: a reader between ticks (the web UI, /metrics, a threshold) still sees every report merged
// so far, and a reset between ticks drops what came before it, as with whole reports.
TEST(StatsFrameIngest, TotalsReadBetweenTicksHoldEveryReportMergedSoFar) {
  std::mt19937_64 rng(3);
  swarmlet::green::hub hub;
  swarmlet::green::manual_clock clock;
  m::aggregator by_frame(1, 12), by_report(1, 12);
  by_frame.use_clock(clock);
  by_report.use_clock(clock);
  auto workers = wire_workers(2);
  std::vector<std::uint64_t> sent(workers.size());
  for (std::uint64_t seq = 1; seq <= 6; ++seq) {
    clock.advance(std::chrono::seconds(1));
    for (std::size_t w = 0; w < workers.size(); ++w) {
      auto r = report(workers[w].id, seq, sent[w], rng, 20);
      r.stats_resets = by_report.stats_resets();  // the workers were told of the reset
      ASSERT_EQ(by_frame.add(workers[w].send(r)), m::aggregator::add_result::merged);
      ASSERT_TRUE(by_report.add(r));
      const auto a = by_frame.totals().total(), b = by_report.totals().total();
      expect_same(a, b, "totals after seq " + std::to_string(seq) + " of " + workers[w].id);
      EXPECT_EQ(by_frame.folded_requests(), by_report.folded_requests());
      if (seq == 4 && w == 0) {
        by_frame.reset_stats();
        by_report.reset_stats();
      }
    }
    by_frame.tick(static_cast<double>(seq), 2);
    by_report.tick(static_cast<double>(seq), 2);
  }
  expect_same(by_frame, by_report);
  EXPECT_GT(by_frame.folded_requests(), 0u);
}

TEST(StatsFrameIngest, NamesRideAlongUntilTheMasterSaysItKnowsThemSoALostReportCostsNoName) {
  m::aggregator a(1);
  wire_worker w{"w"};
  std::mt19937_64 rng(1);
  std::uint64_t sent = 0;
  const auto first = report("w", 1, sent, rng, 5);
  EXPECT_FALSE(w.send(first).names.empty());  // lost: the master never sees it
  const auto second = report("w", 2, sent, rng, 5);
  const auto& again = w.send(second);
  EXPECT_EQ(again.names.size(), w.names.size()) << "every name not yet known, used or not";
  EXPECT_EQ(a.add(again), m::aggregator::add_result::merged);
  EXPECT_EQ(a.names_known("w"), w.names.size());
  w.hear(a, 1);
  const auto third = report("w", 3, sent, rng, 5);
  const auto& known = w.send(third);
  EXPECT_TRUE(known.names.empty()) << "known names go by number alone";
  EXPECT_EQ(a.add(known), m::aggregator::add_result::merged);
  EXPECT_EQ(a.lost_reports(), 1u);
  EXPECT_EQ(a.totals().total().requests + a.lost_requests(), sent)
      << "counted + lost == what the worker counted";
  w.hear(a, 2);  // another run's word changes nothing
  EXPECT_EQ(w.names.known_below(), a.names_known("w"));
}

TEST(StatsFrameIngest, AReportUsingAnUnknownNumberIsCountedLostAndMergedOnceIfItComesAgain) {
  m::aggregator a(1);
  std::mt19937_64 rng(3);
  std::uint64_t sent = 0;
  // A worker told (wrongly) that the master knows its names: its report defines none.
  wire_worker liar{"w"};
  auto r1 = report("w", 1, sent, rng, 4);
  liar.names.use_run(1);
  for (const auto& [key, s] : r1.delta.entries()) liar.names.number(key);
  liar.names.acknowledged(1, liar.names.size());
  const std::string bytes = p::encode_stats("w", r1, liar.names);
  p::stats_frame frame;
  ASSERT_FALSE(frame.read(bytes));
  ASSERT_TRUE(frame.names.empty());
  EXPECT_EQ(a.add(frame), m::aggregator::add_result::unresolved);
  EXPECT_EQ(a.lost_reports(), 1u);
  EXPECT_EQ(a.lost_requests(), r1.delta.total().requests);
  EXPECT_EQ(a.totals().total().requests, 0u);
  // The next report defines its names (as an honest worker's would)...
  wire_worker honest{"w"};
  honest.names.use_run(1);
  for (const auto& [key, s] : r1.delta.entries()) honest.names.number(key);
  auto r2 = report("w", 2, sent, rng, 4);
  EXPECT_EQ(a.add(honest.send(r2)), m::aggregator::add_result::merged);
  // ... so the first, coming again, is merged now, once.
  ASSERT_FALSE(frame.read(bytes));
  EXPECT_EQ(a.add(frame), m::aggregator::add_result::merged);
  EXPECT_EQ(a.lost_reports(), 0u);
  EXPECT_EQ(a.totals().total().requests, sent);
  ASSERT_FALSE(frame.read(bytes));
  EXPECT_EQ(a.add(frame), m::aggregator::add_result::rejected) << "a repeat";
  EXPECT_EQ(a.totals().total().requests, sent);
}

TEST(StatsFrameIngest, ADefinitionThatContradictsAnEarlierOneIsNotMerged) {
  m::aggregator a(1);
  std::uint64_t sent = 0;
  std::mt19937_64 rng(5);
  wire_worker w{"w"};
  EXPECT_EQ(a.add(w.send(report("w", 1, sent, rng, 3))), m::aggregator::add_result::merged);
  wire_worker other{"w"};  // numbers the same names in another order
  p::stats_report r;
  r.run_id = 1;
  r.sequence = 2;
  r.delta.entry("DELETE", "/x").record(10, 0, false);
  r.requests_sent = ++sent;
  EXPECT_EQ(a.add(other.send(r)), m::aggregator::add_result::unresolved);
  EXPECT_EQ(a.lost_requests(), 1u);
}

/// `s` (empty) holds `n` requests of 1 ms, its histogram too, as a frame's row must.
void claim(st::request_stats& s, std::uint64_t n) {
  s.requests = n;
  s.min_us = s.max_us = s.total_us = 1000;
  s.histogram.record_n(1000, n);
}

/// What the master shows of every count it adds up, to compare before and after a report.
struct shown {
  st::request_stats total, lag;
  std::map<st::error_key, std::uint64_t> errors;
  std::vector<std::uint64_t> exceptions;
  std::uint64_t http1_1 = 0, lost_requests = 0;
  std::size_t workers = 0;

  explicit shown(const m::aggregator& a)
      : total(a.totals().total()),
        lag(a.totals().lag()),
        errors(a.totals().errors()),
        http1_1(a.totals().versions().http1_1),
        lost_requests(a.lost_requests()),
        workers(a.workers().size()) {
    for (const auto* e : a.exceptions_by_count()) exceptions.push_back(e->count);
  }
  void expect_equal(const shown& o, const std::string& what) const {
    expect_same(total, o.total, what);
    EXPECT_EQ(total.dropped, o.total.dropped) << what;
    EXPECT_EQ(total.service_total_us, o.total.service_total_us) << what;
    expect_same(lag, o.lag, what + " (lag)");
    EXPECT_EQ(errors, o.errors) << what;
    EXPECT_EQ(exceptions, o.exceptions) << what;
    EXPECT_EQ(http1_1, o.http1_1) << what;
    EXPECT_EQ(lost_requests, o.lost_requests) << what;
    EXPECT_EQ(workers, o.workers) << what;
  }
};

TEST(StatsFrameIngest, AFrameWhoseCountsWouldWrapATotalIsRefusedWholeAndTheTotalsStand) {
  // A worker's counts are deltas of about a second; a broken or hostile one's near 2^64, added
  // on top of a total, wrapped it (unsigned: silently) to a small number the reports showed.
  constexpr std::uint64_t huge = std::numeric_limits<std::uint64_t>::max();
  constexpr std::uint64_t half = std::uint64_t{1} << 63;
  const std::vector<std::pair<std::string, std::function<void(p::stats_report&)>>> absurd = {
      {"requests", [](auto& r) { claim(r.delta.entry("GET", "/b"), huge); }},
      {"requests of two rows",  // each fits, their sum within the frame does not
       [](auto& r) {
         claim(r.delta.entry("GET", "/b"), half);
         claim(r.delta.entry("GET", "/c"), half);
       }},
      {"response time sum", [](auto& r) { r.delta.entry("GET", "/a").total_us = huge; }},
      {"content bytes", [](auto& r) { r.delta.entry("GET", "/a").content_bytes = huge; }},
      {"dropped iterations", [](auto& r) { r.delta.entry("GET", "/a").dropped = huge; }},
      {"service time sum", [](auto& r) { r.delta.entry("GET", "/a").service_total_us = huge; }},
      {"lag", [](auto& r) { claim(r.delta.lag(), huge); }},
      {"errors", [](auto& r) { r.delta.record_error("GET", "/a", "HTTP 500", huge); }},
      {"exceptions", [](auto& r) { r.exceptions.record("a.lua:3: boom", "traceback", huge); }},
      {"HTTP versions", [](auto& r) { r.delta.versions().http1_1 = huge; }},
      {"requests sent", [](auto& r) { r.requests_sent = huge; }},
  };
  for (const auto& [what, make_absurd] : absurd) {
    m::aggregator a(1);
    std::mt19937_64 rng(11);
    std::uint64_t sent = 0;
    wire_worker honest{"w0"};
    // Every total is above 0 before the absurd report (so adding 2^64 - 1 wraps it), lost
    // requests too: report 2 is lost on the way.
    const auto honest_report = [&](std::uint64_t seq) {
      auto r = report("w0", seq, sent, rng, 3);
      auto& row = r.delta.entry("GET", "/a");
      row.record_scheduled(2000, 1500, 10, false);
      row.dropped = 1;
      r.delta.record_error("GET", "/a", "HTTP 500", 1);
      r.exceptions.record("a.lua:3: boom", "traceback", 1);
      r.requests_sent = ++sent;
      return r;
    };
    ASSERT_EQ(a.add(honest.send(honest_report(1))), m::aggregator::add_result::merged);
    honest.send(honest_report(2));
    ASSERT_EQ(a.add(honest.send(honest_report(3))), m::aggregator::add_result::merged);
    const shown before(a);
    ASSERT_GT(before.lost_requests, 1u);

    p::stats_report r;  // one honest request, and the absurd count
    r.worker_id = "w1";
    r.run_id = 1;
    r.sequence = 1;
    r.delta.entry("GET", "/a").record(1000, 10, false);
    r.requests_sent = 1;
    make_absurd(r);
    wire_worker liar{"w1"};
    const auto& frame = liar.send(r);
    EXPECT_NE(a.overflowing_count(frame), nullptr) << what;
    EXPECT_EQ(a.add(frame), m::aggregator::add_result::overflows) << what;
    before.expect_equal(shown(a), what);
    EXPECT_EQ(a.rejected(), 0u) << what << ": a bad frame, not a report of another run";

    // Nothing of it counted: the worker's next report is its first.
    p::stats_report next;
    next.worker_id = "w1";
    next.run_id = 1;
    next.sequence = 1;
    next.delta.entry("GET", "/a").record(1000, 10, false);
    next.requests_sent = 1;
    wire_worker fixed{"w1"};
    EXPECT_EQ(a.add(fixed.send(next)), m::aggregator::add_result::merged) << what;
    EXPECT_EQ(a.totals().total().requests, before.total.requests + 1) << what;
    EXPECT_EQ(a.lost_reports(), 1u) << what << ": w0's report 2 alone";
  }
}

/// A report of `worker` numbered `seq` with one honest request, and what `make` adds to it.
p::stats_report one_request(const std::string& worker, std::uint64_t seq,
                            const std::function<void(p::stats_report&)>& make = {}) {
  p::stats_report r;
  r.worker_id = worker;
  r.run_id = 1;
  r.sequence = seq;
  r.delta.entry("GET", "/a").record(1000, 10, false);
  r.requests_sent = seq;
  if (make) make(r);
  return r;
}

TEST(StatsFrameIngest, OneWorkersAbsurdCountsAreRefusedAndTheOtherWorkersKeepCounting) {
  // Sandbox hunt: one report of 2^64 - 100 requests, consistent in itself, fitted in the sum of
  // every worker's; it then held that sum so near 2^64 that every honest report after it was
  // refused, its worker blamed. Single error and exception counts of 2^64 - 1 were taken too.
  constexpr std::uint64_t absurd = std::numeric_limits<std::uint64_t>::max() - 100;
  struct liar_case {
    std::string what;
    const char* count;  ///< what the master names
    bool twice;         ///< the first of two such reports is merged
    std::function<void(p::stats_report&)> lie;
  };
  const std::vector<liar_case> liars = {
      {"requests", "requests", false,
       [&](auto& r) { claim(r.delta.entry("GET", "/evil"), absurd); }},
      {"errors", "errors", false,
       [&](auto& r) { r.delta.record_error("GET", "/a", "HTTP 500", absurd); }},
      {"exceptions", "exceptions", false,
       [&](auto& r) { r.exceptions.record("a.lua:3: boom", "tb", absurd); }},
      {"requests over two reports (each within the ceiling)", "requests", true,
       [&](auto& r) { claim(r.delta.entry("GET", "/evil"), m::worker_ceiling / 2 + 1); }},
  };
  for (const auto& [what, count, twice, lie] : liars) {
    m::aggregator a(1);
    wire_worker honest{"honest"}, liar{"liar"};
    ASSERT_EQ(a.add(honest.send(one_request("honest", 1))), m::aggregator::add_result::merged);
    if (twice)
      ASSERT_EQ(a.add(liar.send(one_request("liar", 1, lie))), m::aggregator::add_result::merged);
    const auto& frame = liar.send(one_request("liar", twice ? 2 : 1, lie));
    EXPECT_STREQ(a.overflowing_count(frame), count) << what;
    EXPECT_EQ(a.add(frame), m::aggregator::add_result::overflows) << what;
    for (std::uint64_t seq = 2; seq <= 4; ++seq)
      EXPECT_EQ(a.add(honest.send(one_request("honest", seq))), m::aggregator::add_result::merged)
          << what << ": the honest worker's report " << seq;
    EXPECT_EQ(a.workers().at("honest").requests_received, 4u) << what;
  }
}

TEST(StatsFrameIngest, ARunCountsTheReportsOfSoManyWorkersAndRefusesTheNext) {
  // What bounds the sum of every worker's counts below 2^64: each worker's ceiling, times the
  // workers a run counts. Ids are free to make up.
  m::aggregator a(1);
  for (std::size_t w = 0; w < m::max_counted_workers; ++w) {
    wire_worker worker{"w" + std::to_string(w)};
    ASSERT_EQ(a.add(worker.send(one_request(worker.id, 1))), m::aggregator::add_result::merged);
  }
  wire_worker one_more{"one more"};
  const auto& frame = one_more.send(one_request(one_more.id, 1));
  EXPECT_EQ(a.overflowing_count(frame), m::aggregator::too_many_workers);
  EXPECT_EQ(a.add(frame), m::aggregator::add_result::overflows);
  wire_worker first{"w0"};
  EXPECT_EQ(a.add(first.send(one_request("w0", 2))), m::aggregator::add_result::merged)
      << "the workers counted already go on";
  EXPECT_EQ(a.totals().total().requests, m::max_counted_workers + 1);
}

TEST(StatsFrameIngest, NamesPastWhatARunKeepsAreRefusedAndTheirRequestsCountedLost) {
  // Sandbox hunt: each worker id could define 2^20 names of 4 KiB in a run, and ids are free
  // to make up (258 MB -> 1.7 GB).
  m::aggregator a(1);
  wire_worker honest{"honest"}, flood{"flood"};
  ASSERT_EQ(a.add(honest.send(one_request("honest", 1))), m::aggregator::add_result::merged);
  const std::size_t per_report = p::stats_frame::max_rows;
  const std::string padding(st::stats_table::max_text - 16, 'y');
  m::aggregator::add_result result = m::aggregator::add_result::merged;
  std::uint64_t seq = 0, merged_requests = 0;
  // Each report's names cost 2000 * 8 KiB: the bound is met within a few.
  while (result == m::aggregator::add_result::merged && seq < 40) {
    p::stats_report r;
    r.worker_id = "flood";
    r.run_id = 1;
    r.sequence = ++seq;
    for (std::size_t i = 0; i < per_report; ++i)
      r.delta.entry("GET", "/" + std::to_string(seq) + "-" + std::to_string(i) + padding)
          .record(1000, 0, false);
    r.requests_sent = seq * per_report;
    result = a.add(flood.send(r));
    if (result == m::aggregator::add_result::merged) merged_requests += per_report;
  }
  ASSERT_EQ(result, m::aggregator::add_result::names_full) << "after " << seq << " reports";
  EXPECT_GT(seq, 2u) << "the bound is far above an honest test's names";
  EXPECT_EQ(a.workers().at("flood").lost, 1u) << "counted lost, as a refused report";
  EXPECT_EQ(a.workers().at("flood").lost_requests(), per_report);
  EXPECT_EQ(a.totals().total().requests, merged_requests + 1);
  EXPECT_EQ(a.add(honest.send(one_request("honest", 2))), m::aggregator::add_result::merged)
      << "names the run knows still count";
  EXPECT_EQ(a.totals().total().requests, merged_requests + 2);
}

TEST(NameNumbers, AFarNumberTakesAPageNotATableAsLongAsItself) {
  m::name_numbers n;
  EXPECT_EQ(n.find(0), m::name_numbers::none);
  n.slot(3) = 7;
  n.slot((1u << 20) - 1) = 9;  // the highest a frame may define
  EXPECT_EQ(n.find(3), 7u);
  EXPECT_EQ(n.find((1u << 20) - 1), 9u);
  EXPECT_EQ(n.find(4), m::name_numbers::none);
  EXPECT_EQ(n.find(5000), m::name_numbers::none) << "a page never made";
  EXPECT_EQ(n.find(1u << 20), m::name_numbers::none) << "beyond the last page";
  EXPECT_EQ(n.pages_made(), 2u);
}

TEST(StatsFrameIngest, ANewRunNumbersItsNamesAgainFromZero) {
  // A restarted master runs a new run: it knows none of the worker's names, and is told them.
  wire_worker w{"w"};
  std::uint64_t sent = 0;
  std::mt19937_64 rng(9);
  m::aggregator first(1);
  EXPECT_EQ(first.add(w.send(report("w", 1, sent, rng, 6))), m::aggregator::add_result::merged);
  w.hear(first, 1);
  EXPECT_GT(w.names.known_below(), 0u);
  auto r = report("w", 1, sent, rng, 6);
  r.run_id = 2;
  m::aggregator second(2);
  const auto& frame = w.send(r);
  EXPECT_EQ(frame.names.size(), r.delta.entries().size());
  EXPECT_EQ(second.add(frame), m::aggregator::add_result::merged);
  EXPECT_EQ(second.totals().total().requests, r.delta.total().requests);
}

}  // namespace
