#include "common/green/manual_clock.hpp"

#include <gtest/gtest.h>

#include <string>

#include "common/green/hub.hpp"
#include "common/green/operations.hpp"

using namespace std::chrono_literals;
namespace g = swarmlet::green;

namespace {

TEST(ManualClock, SleepersWakeInDeadlineOrderAsTimeIsAdvanced) {
  g::hub h;
  g::manual_clock clock;
  const auto start = clock.now();
  std::string order;
  auto a = g::spawn([&] {
    clock.sleep_for(3s);
    order += "a";
    EXPECT_EQ(clock.now(), start + 3s);
  });
  auto b = g::spawn([&] {
    clock.sleep_for(1s);
    order += "b";
    EXPECT_EQ(clock.now(), start + 1s);
  });
  g::manual_clock::settle();
  EXPECT_EQ(clock.sleepers(), 2u);
  clock.advance(999ms);
  EXPECT_EQ(order, "");
  clock.advance(2s);
  EXPECT_EQ(order, "b");
  EXPECT_EQ(clock.now(), start + 2999ms);
  clock.advance(1ms);
  EXPECT_EQ(order, "ba");
  EXPECT_EQ(clock.sleepers(), 0u);
}

TEST(ManualClock, WaitUntilReturnsTrueWhenTheEventComesFirstAndFalseAtTheDeadline) {
  g::hub h;
  g::manual_clock clock;
  g::event<> e;
  int outcome = -1;
  auto waiter = g::spawn([&] { outcome = clock.wait_until(e, clock.now() + 5s) ? 1 : 0; });
  clock.advance(4s);
  EXPECT_EQ(outcome, -1);
  e.send();
  g::manual_clock::settle();
  EXPECT_EQ(outcome, 1);
  EXPECT_EQ(clock.sleepers(), 0u) << "the sent event took the waiter off the clock";

  g::event<> never;
  auto timed_out = g::spawn([&] { return clock.wait_until(never, clock.now() + 5s); });
  clock.advance(5s);
  EXPECT_FALSE(timed_out.wait());
}

TEST(ManualClock, AKilledSleeperLeavesTheClock) {
  g::hub h;
  g::manual_clock clock;
  auto sleeper = g::spawn([&] { clock.sleep_for(1h); });
  g::manual_clock::settle();
  ASSERT_EQ(clock.sleepers(), 1u);
  sleeper.kill();
  EXPECT_EQ(clock.sleepers(), 0u);
  clock.advance(2h);  // nothing to wake
}

TEST(ManualClock, ThingsMadeReadyByAWakeRunBeforeTimeMovesOn) {
  g::hub h;
  g::manual_clock clock;
  g::event<> relay;
  std::chrono::steady_clock::time_point seen{};
  auto first = g::spawn([&] {
    clock.sleep_for(1s);
    relay.send();
  });
  auto second = g::spawn([&] {
    relay.wait();
    seen = clock.now();
  });
  const auto start = clock.now();
  clock.advance(10s);
  EXPECT_EQ(seen, start + 1s);
}

}  // namespace
