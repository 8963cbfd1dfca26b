#include "proto/id_ranges.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>

namespace p = swarmlet::proto;

namespace {

p::id_ranges of(const std::set<std::uint64_t>& ids) {
  p::id_ranges out;
  for (auto id : ids) out.insert(id);
  return out;
}

TEST(IdRanges, NeighboursMergeIntoOneRange) {
  p::id_ranges ids;
  ids.insert(5);
  ids.insert(3);
  ids.insert(4);
  ids.insert(10, 12);
  ids.insert(6, 9);
  ASSERT_EQ(ids.ranges().size(), 1u);
  EXPECT_EQ(ids.ranges()[0], (p::id_ranges::range{3, 12}));
  EXPECT_EQ(ids.size(), 10u);
  ids.erase(7);
  EXPECT_EQ(ids.ranges().size(), 2u);
  EXPECT_FALSE(ids.contains(7));
  EXPECT_TRUE(ids.contains(8));
  EXPECT_EQ(ids.lowest(3).values(), (std::vector<std::uint64_t>{3, 4, 5}));
  EXPECT_EQ(ids.highest(4).values(), (std::vector<std::uint64_t>{9, 10, 11, 12}));
}

TEST(IdRanges, BehaveAsASetOfNumbers) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 300; ++round) {
    std::set<std::uint64_t> a, b;
    p::id_ranges ra, rb;
    for (int i = 0; i < 40; ++i) {
      const std::uint64_t x = rng() % 60, y = x + rng() % 4;
      if (rng() % 3 == 0) {
        for (auto v = x; v <= y; ++v) a.erase(v);
        for (auto v = x; v <= y; ++v) ra.erase(v);
      } else {
        for (auto v = x; v <= y; ++v) a.insert(v);
        ra.insert(x, y);
      }
      const std::uint64_t z = rng() % 60;
      b.insert(z);
      rb.insert(z);
    }
    ASSERT_EQ(ra, of(a)) << "the same set has one shape";
    EXPECT_EQ(ra.size(), a.size());
    std::set<std::uint64_t> both, rest = a;
    for (auto v : a)
      if (b.count(v)) both.insert(v);
    for (auto v : b) rest.erase(v);
    EXPECT_EQ(ra.intersection(rb), of(both));
    p::id_ranges minus = ra;
    minus.erase(rb);
    EXPECT_EQ(minus, of(rest));
    p::id_ranges uni = ra;
    uni.insert(rb);
    std::set<std::uint64_t> all = a;
    all.insert(b.begin(), b.end());
    EXPECT_EQ(uni, of(all));
    for (std::uint64_t v = 0; v < 70; ++v) EXPECT_EQ(ra.contains(v), a.count(v) == 1);
  }
}

}  // namespace
