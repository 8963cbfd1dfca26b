// The cap on request names: a test that names requests after ids or uuids must not grow a
// worker's or the master's tables without bound.
#include <gtest/gtest.h>

#include <string>

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
