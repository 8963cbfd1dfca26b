#include "worker/user_growth_limit.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace g = swarmlet::green;
namespace w = swarmlet::worker;
using namespace std::chrono_literals;

namespace {

const g::time_point t0 = g::time_point(1h);  // any start: the limit never reads the clock

/// Notes `busy` every 100 µs over [from, to) and returns `to`.
g::time_point count(w::user_growth_limit& limit, g::time_point from, g::time_point to, int busy) {
  for (g::time_point t = from; t < to; t += 100us) limit.note(t, busy);
  return to;
}

}  // namespace

TEST(UserGrowthLimit, ATargetSlowerThanTheRateDoublesItEachWindow) {
  w::user_growth_limit limit(64);
  limit.restart(t0, 64);
  EXPECT_EQ(limit.limit(), 64);
  // Every user busy all along: twice as many, from one window to the next.
  g::time_point t = count(limit, t0 + 100us, t0 + 10ms, 64);
  EXPECT_EQ(limit.limit(), 64) << "within the first window";
  t = count(limit, t, t + 100us, 64);
  EXPECT_EQ(limit.limit(), 128);
  t = count(limit, t, t + 10ms, 128);
  EXPECT_EQ(limit.limit(), 256);
  // Once the users keep up, the limit is twice what they need (and never below the floor).
  t = count(limit, t, t + 10ms, 90);
  EXPECT_EQ(limit.limit(), 180);
  count(limit, t, t + 10ms, 3);
  EXPECT_EQ(limit.limit(), 64);
}

TEST(UserGrowthLimit, AStallShorterThanHalfAWindowLeavesItWhereItWas) {
  w::user_growth_limit limit(64);
  limit.restart(t0, 64);
  // 3 busy users, then all 64 for 4 ms (the host or the target stalled), then 3 again.
  g::time_point t = count(limit, t0 + 100us, t0 + 3ms, 3);
  t = count(limit, t, t + 4ms, 64);
  count(limit, t, t0 + 10ms + 100us, 3);
  EXPECT_EQ(limit.limit(), 64);
}

TEST(UserGrowthLimit, CountsCloserThanTheSampleGapCountOnce) {
  w::user_growth_limit limit(64);
  limit.restart(t0, 64);
  // In a backlog the scheduler notes every arrival, thousands in a moment: they count as one,
  // or a short backlog would outweigh the rest of the window.
  g::time_point t = count(limit, t0 + 100us, t0 + 4ms, 3);
  for (int i = 0; i < 10'000; ++i) limit.note(t + std::chrono::nanoseconds(i), 64);
  count(limit, t + 100us, t0 + 10ms + 100us, 3);
  EXPECT_EQ(limit.limit(), 64);
}

TEST(UserGrowthLimit, ARestartKeepsTheUsersThereAreAndCountsAfresh) {
  w::user_growth_limit limit(64);
  limit.restart(t0, 300);
  EXPECT_EQ(limit.limit(), 300) << "a new plan keeps the last one's users";
  count(limit, t0 + 100us, t0 + 5ms, 300);
  limit.restart(t0 + 5ms, 10);
  EXPECT_EQ(limit.limit(), 64);
  // The new window is 60 counts of 3 and 40 of 300: had the 49 counts of 300 from before the
  // restart stayed, or the window kept its start, the limit would be 600.
  g::time_point t = count(limit, t0 + 5ms + 100us, t0 + 11ms + 100us, 3);
  count(limit, t, t0 + 15ms + 100us, 300);
  EXPECT_EQ(limit.limit(), 64);
}
