#include "common/config/arrival_plan.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <vector>

namespace c = swarmlet::config;
using namespace std::chrono_literals;
using std::chrono::microseconds;

namespace {

c::arrival_plan ramp(double from, double to, microseconds over, int max_users = 100) {
  return {from, to, over, max_users};
}

TEST(ArrivalPlan, ArrivalsFollowALinearRampOfTheRate) {
  // Constant: k / rate.
  EXPECT_DOUBLE_EQ(*ramp(5, 5, 0s).offset_s(10), 2.0);
  // 0 -> 100/s over 10 s: 500 arrivals in the ramp, the k-th at sqrt(2k / 10) s.
  EXPECT_NEAR(*ramp(0, 100, 10s).offset_s(0), 0.0, 1e-9);
  EXPECT_NEAR(*ramp(0, 100, 10s).offset_s(20), 2.0, 1e-9);
  EXPECT_NEAR(*ramp(0, 100, 10s).offset_s(500), 10.0, 1e-9);
  EXPECT_NEAR(*ramp(0, 100, 10s).offset_s(600), 11.0, 1e-9) << "then constant at the end rate";
  // Down: 100 -> 0 over 10 s holds 500 arrivals, then none.
  EXPECT_NEAR(*ramp(100, 0, 10s).offset_s(500), 10.0, 1e-6);
  EXPECT_FALSE(ramp(100, 0, 10s).offset_s(501));
  // Offsets never go back in time.
  double last = -1;
  for (std::uint64_t k = 0; k < 2000; ++k) {
    const double t = *ramp(30, 170, 7500ms).offset_s(k);
    EXPECT_GE(t, last);
    last = t;
  }
}

TEST(ArrivalPlan, WithoutARampTheRateIsTheStartRate) {
  // A command without a ramp may leave rate_to unset: the plan stays at its start rate.
  const c::arrival_plan p{200, 0, 0s, 10};
  EXPECT_EQ(p.final_rate(), 200);
  EXPECT_TRUE(p.has_arrivals());
  EXPECT_DOUBLE_EQ(*p.offset_s(200), 1.0);
  EXPECT_EQ(p.rate_at(5s), 200);
  EXPECT_EQ(p.after(5s), p);
  EXPECT_FALSE(c::arrival_plan{}.has_arrivals()) << "the all-zero plan ends a schedule";
  EXPECT_FALSE(c::arrival_plan{}.offset_s(0));
  EXPECT_EQ(c::arrival_plan::constant(50, 7), (c::arrival_plan{50, 50, 0s, 7}));
}

TEST(ArrivalPlan, ArrivalsByIsTheInverseOfTheOffsets) {
  for (const auto& p : {ramp(5, 5, 0s), ramp(0, 100, 10s), ramp(100, 0, 10s), ramp(30, 170, 7500ms),
                        ramp(250, 50, 3s)}) {
    EXPECT_EQ(p.arrivals_by(-1us), 0u);
    EXPECT_EQ(p.arrivals_by(0us), 1u) << "the first arrival is due at the start";
    for (std::uint64_t k = 0; k < 1500; ++k) {
      const auto at = p.offset_s(k), next = p.offset_s(k + 1);
      if (!next) {
        EXPECT_EQ(p.arrivals_by(1h), k + 1) << "a ramp down to 0 holds no more";
        break;
      }
      // Halfway between arrival k and k+1, k+1 of them are due.
      const auto mid = microseconds(static_cast<std::int64_t>((*at + *next) / 2 * 1e6));
      EXPECT_EQ(p.arrivals_by(mid), k + 1) << "k " << k;
    }
  }
  // 50/s, ramping to 250/s over 4 s, then 2 s at 250/s: 600 + 500 (the first at 0).
  EXPECT_EQ(ramp(50, 250, 4s).arrivals_by(4s), 601u);
  EXPECT_EQ(ramp(50, 250, 4s).arrivals_by(6s), 1101u);
}

TEST(ArrivalPlan, TheRestOfARampGoesOnFromWhereItIs) {
  const auto p = ramp(50, 250, 4s, 30);
  EXPECT_EQ(p.rate_at(0s), 50);
  EXPECT_EQ(p.rate_at(1s), 100);
  EXPECT_EQ(p.rate_at(9s), 250) << "then the end rate";
  const auto rest = p.after(1s);
  EXPECT_EQ(rest, (c::arrival_plan{100, 250, 3s, 30}));
  EXPECT_EQ(p.after(5s), (c::arrival_plan{250, 250, 0s, 30})) << "a finished ramp is a constant";
  // The rest holds what the plan had left: 1 s in, 75 arrivals are behind.
  EXPECT_EQ(p.arrivals_by(4s) - p.arrivals_by(1s), rest.arrivals_by(3s) - rest.arrivals_by(0s));
}

TEST(ArrivalPlan, SharesTakeTheirPlacesAndTheirUsers) {
  const auto p = ramp(90, 300, 2s, 10);
  const auto third = p.share(0, 1, 3, 4);
  EXPECT_EQ(third.rate, 90) << "the plan's own rates: a share picks its arrivals";
  EXPECT_EQ(third.ramp, 2s) << "every share ramps together";
  EXPECT_EQ(third.max_users, 4);
  EXPECT_EQ(p.share(0, 1, 8, 0).max_users, 1) << "a share can always run an arrival";
  for (microseconds t : {250ms, 1000ms, 2300ms, 5000ms}) {
    const double all = static_cast<double>(p.arrivals_by(t));
    EXPECT_NEAR(static_cast<double>(third.arrivals_by(t)), all / 3, 1.0) << t.count();
    EXPECT_NEAR(static_cast<double>(p.share(1, 2, 3, 6).arrivals_by(t)), all * 2 / 3, 1.0);
  }
}

/// The first `n` offsets of every share in `shares`, sorted: when the shares are the plan's
/// own arrivals, each once, these are the plan's first offsets.
std::vector<double> offsets_of(const std::vector<c::arrival_plan>& shares, std::uint64_t n) {
  std::vector<double> all;
  for (const auto& s : shares)
    for (std::uint64_t k = 0; k < n * static_cast<std::uint64_t>(s.places); ++k)
      all.push_back(*s.offset_s(k));
  std::sort(all.begin(), all.end());
  return all;
}

TEST(ArrivalPlan, EqualSharesTakeThePlansArrivalsInTurn) {
  // 4 hub threads at a quarter of the rate each used to be due together (4 arrivals at once,
  // then none for 4 intervals). Each now takes every fourth of the plan's arrivals.
  for (const auto& p : {c::arrival_plan::constant(20, 8), ramp(30, 170, 7500ms), ramp(8, 0, 20s)}) {
    std::vector<c::arrival_plan> shares;
    for (int i = 0; i < 4; ++i) shares.push_back(p.share(i, 1, 4, 2));
    const auto together = offsets_of(shares, 10);
    for (std::uint64_t j = 0; j < together.size(); ++j)
      ASSERT_NEAR(together[j], *p.offset_s(j), 1e-9) << "arrival " << j << " at " << p.rate;
    EXPECT_NEAR(*shares[2].offset_s(1), *p.offset_s(6), 1e-12) << "the third's second: 6";
  }
}

TEST(ArrivalPlan, ASharesSeveralPlacesAreItsArrivalsInThosePlaces) {
  // A worker's hub thread may take the places of its threads with no user: 2 places of 4, or
  // 3 of 4 beside 1. Shares that were an evenly spaced part of the rate did not fit among the
  // others': the plan's arrivals 1, 5, 9 came twice and 2, 6, 10 never (review).
  const auto p = ramp(40, 200, 3s);
  for (const std::vector<std::pair<int, int>>& split :
       {std::vector<std::pair<int, int>>{{0, 1}, {1, 1}, {2, 2}},
        std::vector<std::pair<int, int>>{{0, 3}, {3, 1}},
        std::vector<std::pair<int, int>>{{0, 4}}}) {
    std::vector<c::arrival_plan> shares;
    for (const auto& [first, part] : split) shares.push_back(p.share(first, part, 4, 5));
    const auto together = offsets_of(shares, 30);
    ASSERT_EQ(together.size(), 120u);
    for (std::uint64_t j = 0; j < together.size(); ++j)
      ASSERT_NEAR(together[j], *p.offset_s(j), 1e-9) << "arrival " << j;
  }
  const auto two = p.share(2, 2, 4, 5);
  EXPECT_NEAR(*two.offset_s(0), *p.offset_s(2), 1e-12);
  EXPECT_NEAR(*two.offset_s(1), *p.offset_s(3), 1e-12);
  EXPECT_NEAR(*two.offset_s(2), *p.offset_s(6), 1e-12);
}

TEST(ArrivalPlan, TheRestOfAPlanKeepsItsArrivalsWhereTheyWere) {
  // The master re-shares the rest of the plan when a worker comes or goes. The rest's first
  // arrival is the plan's next one, not one more at the moment of the re-share.
  for (auto p : {c::arrival_plan::constant(30, 8), ramp(50, 250, 4s)}) {
    p.phase = 0.3;  // a plan that went on from another's: its phase carries over too
    for (auto e : {microseconds(1'234'567), microseconds(4'500'000)}) {
      const auto rest = p.after(e);
      EXPECT_GE(rest.phase, 0);
      EXPECT_LT(rest.phase, 1);
      const double e_s = std::chrono::duration<double>(e).count();
      std::uint64_t k = 0;
      while (*p.offset_s(k) < e_s) ++k;
      for (std::uint64_t r = 0; r < 20; ++r)
        ASSERT_NEAR(*rest.offset_s(r) + e_s, *p.offset_s(k + r), 1e-6)
            << "arrival " << r << " after " << e_s << " s";
    }
  }
}

TEST(ArrivalPlan, ARampBetweenAlmostEqualRatesKeepsItsArrivalsInPlace) {
  // (sqrt(disc) - rate) / a cancelled to nothing for a tiny slope: 6,401 of 40,000 arrivals at
  // 0 s, one 68 s off (review).
  const auto p = ramp(200, 200.00000000000006, 200s);
  for (std::uint64_t k : {1u, 100u, 6400u, 20000u, 39999u})
    EXPECT_NEAR(*p.offset_s(k), static_cast<double>(k) / 200, 1e-9) << k;
  EXPECT_EQ(*ramp(0, 100, 10s).offset_s(0), 0.0) << "a ramp from 0 starts at 0";
}

TEST(ArrivalPlan, ArrivalsAtAStagesEndComeOnceWhateverTheRounding) {
  // A ramp stage, then a constant one that goes on from its arrivals (as the master joins
  // stages). The first's end was decided in seconds, through a square root, and the second's
  // phase by the integral: at 0 -> 10/s over 29 s, arrival 145 came at 28.999999999999996 s,
  // and again at the second stage's start (review: 3.8% of ramps from 0-200/s over 1-120 s).
  std::uint64_t wrong = 0, cases = 0;
  for (int r0 = 0; r0 <= 200; r0 += 5)
    for (int r1 = 5; r1 <= 200; r1 += 15)
      for (int d = 1; d <= 120; d += 7) {
        auto first = ramp(r0, r1, std::chrono::seconds(d));
        first.until = std::chrono::seconds(d);
        auto second = c::arrival_plan::constant(r1, 100);
        second.phase = first.after(std::chrono::seconds(d)).phase;
        second.until = std::chrono::seconds(10);
        auto whole = ramp(r0, r1, std::chrono::seconds(d));
        whole.until = std::chrono::seconds(d + 10);
        const auto in_first = first.arrivals_by(1h);
        const bool ends_right = in_first == 0 || (first.offset_s(in_first - 1).has_value() &&
                                                  !first.offset_s(in_first).has_value());
        ++cases;
        if (in_first + second.arrivals_by(1h) != whole.arrivals_by(1h) || !ends_right) ++wrong;
      }
  EXPECT_EQ(wrong, 0u) << "of " << cases;
}

}  // namespace

namespace {

TEST(ArrivalPlan, NoArrivalIsDueAtOrAfterThePlansEnd) {
  auto p = c::arrival_plan::constant(2, 10);
  p.until = 3s;
  EXPECT_DOUBLE_EQ(*p.offset_s(5), 2.5);
  EXPECT_FALSE(p.offset_s(6)) << "due at 3 s: the end, where the next plan or the stop comes";
  EXPECT_EQ(p.arrivals_by(10s), 6u);
  EXPECT_EQ(p.arrivals_by(2500ms), 6u);
  EXPECT_EQ(p.arrivals_by(2499ms), 5u);
  const auto rest = p.after(1200ms);
  EXPECT_EQ(rest.until, microseconds(1800ms));
  EXPECT_NEAR(*rest.offset_s(0), 0.3, 1e-9) << "the arrival due at 1.5 s";
  EXPECT_EQ(rest.arrivals_by(1h), 3u) << "1.5, 2 and 2.5 s";
  EXPECT_EQ(p.after(4s).until, microseconds(0));
  EXPECT_FALSE(p.after(4s).offset_s(0)) << "past the end, nothing is due";
  EXPECT_EQ(p.share(1, 1, 2, 5).until, p.until) << "every share ends together";
  auto ramp_down = ramp(100, 0, 10s);
  ramp_down.until = 20s;
  EXPECT_FALSE(ramp_down.offset_s(501)) << "a ramp down to 0 still ends where it reaches 0";
}

}  // namespace
