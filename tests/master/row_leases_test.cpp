// Leases of `order: unique` data rows (master/row_leases): disjoint across workers, topped up
// as workers report use, never leased twice, and every row leased in the end.
#include "master/row_leases.hpp"

#include <gtest/gtest.h>

#include <random>

namespace m = swarmlet::master;
namespace p = swarmlet::proto;

namespace {

TEST(RowLeases, WorkersGetDisjointChunksAndMoreAsTheyUseThem) {
  m::row_leases leases({{"shopper", 100}});
  EXPECT_TRUE(leases.top_up("a", 2, {"shopper"}));
  EXPECT_TRUE(leases.top_up("b", 2, {"shopper"}));
  const auto a = leases.lease_of("a").at("shopper");
  const auto b = leases.lease_of("b").at("shopper");
  EXPECT_EQ(a.rows, p::id_ranges::span(0, 12)) << "a quarter of an even share of what is left";
  EXPECT_EQ(b.rows, p::id_ranges::span(13, 23));
  EXPECT_FALSE(a.final);
  EXPECT_FALSE(leases.top_up("a", 2, {"shopper"})) << "nothing used yet: nothing more";
  EXPECT_FALSE(leases.top_up("c", 2, {})) << "no users of the class: no rows";
  leases.used("a", {{"shopper", 13}});
  EXPECT_TRUE(leases.top_up("a", 2, {"shopper"}));
  auto more = p::id_ranges::span(0, 12);
  more.insert(24, 49);
  EXPECT_EQ(leases.lease_of("a").at("shopper").rows, more)
      << "two reports' worth at the rate it used them";
  const auto u = leases.usage_per_class().at("shopper");
  EXPECT_EQ(u.rows, 100u);
  EXPECT_EQ(u.leased, 50u);
  EXPECT_EQ(u.used, 13u);
}

TEST(RowLeases, ARestartedWorkerGetsRowsOfItsOwnNotTheOldProcesss) {
  // A worker's process died after using 5 of its 13 rows, and a new one said hello under its
  // id. The new process used to get the old lease and ran its rows from the first: rows 0-4
  // went to a second iteration.
  m::row_leases leases({{"shopper", 100}});
  leases.top_up("a", 2, {"shopper"});
  const auto old_rows = leases.lease_of("a").at("shopper").rows;
  ASSERT_EQ(old_rows, p::id_ranges::span(0, 12));
  leases.used("a", {{"shopper", 5}});
  leases.process_gone("a");
  EXPECT_TRUE(leases.top_up("a", 2, {"shopper"}));
  const auto fresh = leases.lease_of("a").at("shopper").rows;
  EXPECT_FALSE(fresh.empty());
  EXPECT_TRUE(fresh.intersection(old_rows).empty()) << "none of the old process's rows";
  leases.used("a", {{"shopper", 2}});  // the new process counts from 0
  const auto u = leases.usage_per_class().at("shopper");
  EXPECT_EQ(u.used, 7u) << "5 by the old process, 2 by the new";
  EXPECT_EQ(u.leased, 13u + fresh.size()) << "the old rows stay leased (lost unless used)";
}

TEST(RowLeases, AllAreUsedWhenEveryRowIsLeasedAndTheLiveWorkersUsedTheirs) {
  using runs = std::map<std::string, std::set<std::string>>;
  const runs both{{"a", {"shopper", "admin"}}, {"b", {"shopper"}}};
  m::row_leases leases({{"shopper", 4}, {"admin", 2}});
  EXPECT_FALSE(leases.all_used(both)) << "nothing leased yet";
  leases.top_up("a", 2, {"shopper", "admin"});  // a: 1 shopper row, 1 admin row
  leases.top_up("b", 2, {"shopper"});           // b: 1 shopper row
  leases.used("a", {{"shopper", 1}, {"admin", 1}});
  leases.top_up("a", 2, {"shopper", "admin"});  // a: the 2 shopper rows left, the last admin
  ASSERT_EQ(leases.lease_of("a").at("shopper").rows.size(), 3u);
  ASSERT_EQ(leases.lease_of("a").at("admin").rows.size(), 2u);
  ASSERT_EQ(leases.lease_of("b").at("shopper").rows.size(), 1u);
  leases.used("a", {{"shopper", 3}, {"admin", 1}});
  EXPECT_FALSE(leases.all_used(both)) << "a has an admin row left";
  leases.used("a", {{"shopper", 3}, {"admin", 2}});
  EXPECT_FALSE(leases.all_used(both)) << "b has not used its row";
  EXPECT_TRUE(leases.all_used(runs{{"a", {"shopper", "admin"}}}))
      << "b left: its row is lost, none is left to use";
  EXPECT_TRUE(leases.all_used(runs{{"a", {"shopper", "admin"}}, {"b", {}}}))
      << "hunt: b runs no shopper now (a lower user count): its row waits for one that never "
         "comes, and the test idled until its run time";
  leases.used("b", {{"shopper", 1}});
  EXPECT_TRUE(leases.all_used(both));
  EXPECT_FALSE(m::row_leases().all_used(runs{{"a", {}}}))
      << "no unique data: nothing to run out of";
}

TEST(RowLeases, RandomUseNeverLeasesARowTwiceAndEndsWithEveryoneTold) {
  std::mt19937 rng(3);
  for (int run = 0; run < 100; ++run) {
    const std::uint64_t rows = 1 + rng() % 500;
    m::row_leases leases({{"u", rows}});
    std::vector<std::string> workers{"w0", "w1", "w2"};
    std::map<std::string, std::uint64_t> used;
    for (int step = 0; step < 400; ++step) {
      const std::string w = workers[rng() % workers.size()];
      const auto lease = leases.lease_of(w).at("u");
      used[w] = std::min<std::uint64_t>(lease.rows.size(), used[w] + rng() % 20);
      leases.used(w, {{"u", used[w]}});
      leases.top_up(w, 3, {"u"});
    }
    p::id_ranges all;
    for (const auto& w : workers) {
      const auto lease = leases.lease_of(w).at("u");
      ASSERT_TRUE(all.intersection(lease.rows).empty()) << "a row leased twice";
      all.insert(lease.rows);
    }
    if (all.size() == rows) {
      for (const auto& w : workers) {
        EXPECT_TRUE(leases.lease_of(w).at("u").final);
        EXPECT_FALSE(leases.top_up(w, 3, {"u"})) << "told once that no more will come";
      }
    }
    EXPECT_EQ(leases.usage_per_class().at("u").leased, all.size());
    if (all.size() > 0) EXPECT_EQ(all, p::id_ranges::span(0, all.size() - 1)) << "in file order";
  }
}

}  // namespace
