// The hub's busy meter: a turn of its loop that the thread spends computing is counted as its
// own, one it spends off the CPU is not; the CPU share is over windows of a second.
#include "common/green/busy_meter.hpp"

#include <gtest/gtest.h>
#include <time.h>

#include <chrono>
#include <thread>

#include "common/green/event.hpp"
#include "common/green/operations.hpp"
#include "hub_fixture.hpp"

using namespace std::chrono_literals;
namespace g = swarmlet::green;

namespace {

/// The calling thread's CPU so far.
std::chrono::nanoseconds thread_cpu() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return std::chrono::seconds(t.tv_sec) + std::chrono::nanoseconds(t.tv_nsec);
}

/// Computes until this thread has used `cpu` more of its CPU (however long that takes).
void spin_for_cpu(std::chrono::nanoseconds cpu) {
  const auto until = thread_cpu() + cpu;
  while (thread_cpu() < until) {
  }
}

TEST(BusyMeter, ATurnTheThreadSpendsComputingIsCountedAsItsOwn) {
  g::busy_meter m;
  m.wait_ended(g::clock::now());
  spin_for_cpu(150ms);
  m.wait_begins(g::clock::now());
  const g::busy_reading r = m.take(g::clock::now());
  EXPECT_GE(r.longest_turn_cpu, 150ms - g::busy_meter::cpu_reading_interval);
  EXPECT_GE(r.longest_turn, r.longest_turn_cpu) << "no more than the turn lasted";
  EXPECT_EQ(m.take(g::clock::now()).longest_turn_cpu, g::duration::zero()) << "taken once";
}

TEST(BusyMeter, ATurnTheThreadSpendsOffTheCpuIsNotCountedAsItsOwn) {
  // As when the OS runs other threads: the turn is long, and the thread ran little of it.
  g::busy_meter m;
  m.wait_ended(g::clock::now());
  std::this_thread::sleep_for(100ms);  // what is measured, not a wait for an event
  m.wait_begins(g::clock::now());
  const g::busy_reading r = m.take(g::clock::now());
  EXPECT_LT(r.longest_turn_cpu, 50ms);
}

TEST(BusyMeter, TheLongestTurnSinceTheLastTakeIsKept) {
  g::busy_meter m;
  m.wait_ended(g::clock::now());
  spin_for_cpu(120ms);
  m.wait_begins(g::clock::now());
  m.wait_ended(g::clock::now());
  spin_for_cpu(30ms);  // a shorter one after it
  m.wait_begins(g::clock::now());
  EXPECT_GE(m.take(g::clock::now()).longest_turn_cpu, 120ms - g::busy_meter::cpu_reading_interval);
}

TEST(BusyMeter, TheCpuShareIsTakenOverAWindowOfASecondAtLeast) {
  const auto before = g::clock::now();
  g::busy_meter m;
  spin_for_cpu(100ms);
  EXPECT_EQ(m.take(before + 500ms).cpu_percent, 0) << "no window has ended yet";
  // Taken as if a second and a half had passed since it was made: the CPU over that time.
  const double percent = m.take(before + 1500ms).cpu_percent;
  EXPECT_GE(percent, 100.0 * 0.1 / 1.5);
  EXPECT_LE(percent, 100.0);
  EXPECT_EQ(m.take(before + 1600ms).cpu_percent, percent) << "the same until the next window";
}

class BusyHub : public g::testing_support::hub_test {};

TEST_P(BusyHub, AGreenThreadComputingWithoutParkingIsTheLoopsLongestTurn) {
  // A script computing within its run limit: the loop polls nothing meanwhile.
  auto t = g::spawn([] {
    g::sleep(1ms);  // the loop polls before
    spin_for_cpu(150ms);
    g::sleep(1ms);  // and after
  });
  t.wait();
  const g::busy_reading r = h_.busy().take(g::clock::now());
  EXPECT_GE(r.longest_turn_cpu, 150ms - g::busy_meter::cpu_reading_interval);
}

TEST_P(BusyHub, ThreadsThatParkMakeNoLongTurn) {
  auto t = g::spawn([] {
    for (int i = 0; i < 20; ++i) g::sleep(5ms);
  });
  t.wait();
  EXPECT_LT(h_.busy().take(g::clock::now()).longest_turn_cpu, g::busy_meter::notable_turn);
}

TEST_P(BusyHub, ACallFromAnotherThreadIsPartOfItsTurn) {
  // Review: a call another thread posted (a user's start, loading its class) ran before the
  // turn began, so a class computing 300 ms at load was in no turn.
  g::event<bool> done;
  std::thread other([this, &done] {
    h_.call_soon_threadsafe([&done] {
      spin_for_cpu(150ms);
      done.send(true);
    });
  });
  EXPECT_TRUE(done.wait());
  other.join();
  g::sleep(1ms);  // the loop polls once more: the turn ends
  EXPECT_GE(h_.busy().take(g::clock::now()).longest_turn_cpu,
            150ms - g::busy_meter::cpu_reading_interval);
}

SWARMLET_ALL_BACKENDS(BusyHub);

}  // namespace
