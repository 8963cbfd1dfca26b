#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/green/event.hpp"
#include "common/green/green_pool.hpp"
#include "common/green/operations.hpp"
#include "common/green/queue.hpp"
#include "common/green/semaphore.hpp"
#include "common/green/timeout.hpp"
#include "hub_fixture.hpp"

using namespace std::chrono_literals;
namespace g = swarmlet::green;

namespace {

using Sync = g::testing_support::hub_test;

TEST_P(Sync, EventWakesEveryWaiterWithTheValue) {
  g::event<std::string> e;
  std::vector<g::green_thread<std::string>> waiters;
  for (int i = 0; i < 5; ++i) waiters.push_back(g::spawn([&e] { return e.wait(); }));
  g::sleep(0s);
  e.send("go");
  for (auto& w : waiters) EXPECT_EQ(w.wait(), "go");
}

TEST_P(Sync, EventSendsOnceOnly) {
  g::event<int> e;
  e.send(1);
  EXPECT_THROW(e.send(2), std::logic_error);
  EXPECT_EQ(e.wait(), 1);
  e.reset();
  EXPECT_FALSE(e.ready());
}

TEST_P(Sync, EventSendExceptionIsRethrownInWaiters) {
  g::event<> e;
  auto w = g::spawn([&e] { e.wait(); });
  g::sleep(0s);
  e.send_exception(std::make_exception_ptr(std::runtime_error("bad news")));
  EXPECT_THROW(w.wait(), std::runtime_error);
}

TEST_P(Sync, EventWaitForGivesUpAfterItsTimeout) {
  g::event<int> e;
  EXPECT_FALSE(e.wait_for(10ms).has_value());
}

TEST_P(Sync, QueueGetBlocksUntilPut) {
  g::queue<int> q;
  auto getter = g::spawn([&q] { return q.get(); });
  g::sleep(0s);
  EXPECT_EQ(q.getting(), 1u);
  q.put(42);
  EXPECT_EQ(getter.wait(), 42);
}

TEST_P(Sync, BoundedQueuePutBlocksWhileFull) {
  g::queue<int> q(2);
  std::vector<int> got;
  auto producer = g::spawn([&q] {
    for (int i = 0; i < 5; ++i) q.put(i);
  });
  g::sleep(0s);
  EXPECT_TRUE(q.full());
  EXPECT_EQ(q.putting(), 1u);
  for (int i = 0; i < 5; ++i) got.push_back(q.get());
  producer.wait();
  EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST_P(Sync, QueueTimeoutsAndNonBlockingCalls) {
  g::queue<int> q(1);
  EXPECT_FALSE(q.get_for(10ms).has_value());
  EXPECT_FALSE(q.get_nowait().has_value());
  EXPECT_TRUE(q.put_nowait(1));
  EXPECT_FALSE(q.put_nowait(2));
  EXPECT_FALSE(q.put_for(3, 10ms));
  EXPECT_EQ(q.get(), 1);
}

TEST_P(Sync, LifoAndPriorityQueuesOrderTheirItems) {
  g::lifo_queue<int> lifo;
  g::priority_queue<int> prio;
  for (int v : {3, 1, 2}) {
    lifo.put(v);
    prio.put(v);
  }
  EXPECT_EQ(lifo.get(), 2);
  EXPECT_EQ(lifo.get(), 1);
  EXPECT_EQ(prio.get(), 1);
  EXPECT_EQ(prio.get(), 2);
  EXPECT_EQ(prio.get(), 3);
}

TEST_P(Sync, AKilledGetterPassesTheItemOn) {
  g::queue<int> q;
  auto first = g::spawn([&q] { return q.get(); });
  auto second = g::spawn([&q] { return q.get(); });
  g::sleep(0s);
  q.put(7);      // wakes `first`...
  first.kill();  // ...which dies before taking it
  EXPECT_EQ(second.wait(), 7);
}

TEST_P(Sync, SemaphoreLimitsConcurrency) {
  g::semaphore sem(2);
  int inside = 0, most = 0;
  std::vector<g::green_thread<void>> threads;
  for (int i = 0; i < 6; ++i)
    threads.push_back(g::spawn([&] {
      g::semaphore_guard hold(sem);
      most = std::max(most, ++inside);
      g::sleep(1ms);
      --inside;
    }));
  for (auto& t : threads) t.wait();
  EXPECT_EQ(most, 2);
  EXPECT_EQ(sem.balance(), 2u);
}

TEST_P(Sync, SemaphoreAcquireTimesOut) {
  g::semaphore sem(0);
  EXPECT_FALSE(sem.acquire(10ms));
  EXPECT_FALSE(sem.try_acquire());
}

TEST_P(Sync, BoundedSemaphoreRefusesAnExtraRelease) {
  g::bounded_semaphore sem(1);
  EXPECT_THROW(sem.release(), std::logic_error);
  EXPECT_TRUE(sem.acquire());
  sem.release();
}

TEST_P(Sync, TimeoutInterruptsABlockedQueueGet) {
  g::queue<int> q;
  auto t = g::spawn([&q] {
    g::timeout limit(10ms);
    q.get();
  });
  EXPECT_THROW(t.wait(), g::timeout_error);
  EXPECT_EQ(q.getting(), 0u) << "the timed-out getter left the queue";
}

TEST_P(Sync, TimeoutInterruptsAnEventWait) {
  g::event<> e;
  EXPECT_FALSE(g::with_timeout(10ms, [&e] { e.wait(); }));
}

TEST_P(Sync, CancelledTimeoutNeverFires) {
  auto t = g::spawn([] {
    g::timeout limit(5ms);
    limit.cancel();
    g::sleep(20ms);
    return limit.expired();
  });
  EXPECT_FALSE(t.wait());
}

TEST_P(Sync, NestedTimeoutsReportTheOneThatExpired) {
  auto outer_fires = g::spawn([] {
    g::timeout outer(10ms);
    try {
      g::timeout inner(10s);
      g::sleep(1s);
    } catch (const g::timeout_error& e) {
      return e.source() == &outer;
    }
    return false;
  });
  EXPECT_TRUE(outer_fires.wait());
  auto inner_fires = g::spawn([] {
    g::timeout outer(10s);
    auto r = g::with_timeout(10ms, [] {
      g::sleep(1s);
      return 1;
    });
    g::sleep(1ms);  // the outer one is still armed and silent
    return !r.has_value() && !outer.expired();
  });
  EXPECT_TRUE(inner_fires.wait());
}

TEST_P(Sync, WithTimeoutReturnsTheValueInTime) {
  auto r = g::with_timeout(1s, [] { return 5; });
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, 5);
}

TEST_P(Sync, GreenPoolNeverRunsMoreThanItsSize) {
  g::green_pool pool(3);
  int inside = 0, most = 0;
  for (int i = 0; i < 20; ++i)
    pool.spawn_n([&] {
      most = std::max(most, ++inside);
      g::sleep(1ms);
      --inside;
    });
  EXPECT_LE(pool.running(), 3u);
  pool.waitall();
  EXPECT_EQ(most, 3);
  EXPECT_EQ(pool.running(), 0u);
  EXPECT_EQ(pool.free(), 3u);
}

TEST_P(Sync, GreenPoolSpawnReturnsAJoinableHandle) {
  g::green_pool pool(2);
  auto t = pool.spawn([](int x) { return x * 2; }, 21);
  EXPECT_EQ(t.wait(), 42);
}

TEST_P(Sync, ImapKeepsTheOrderOfItsInputs) {
  g::green_pool pool(4);
  std::vector<int> inputs{50, 10, 40, 0, 30, 20};
  auto pile = pool.imap(
      [](int ms) {
        g::sleep(std::chrono::milliseconds(ms / 5));
        return ms;
      },
      inputs);
  std::vector<int> out;
  while (auto v = pile.next()) out.push_back(*v);
  EXPECT_EQ(out, inputs);
}

TEST_P(Sync, GreenPileGathersResultsInSpawnOrder) {
  g::green_pile<std::string> pile(10);
  for (int i = 0; i < 5; ++i)
    pile.spawn([i] {
      g::sleep(std::chrono::milliseconds(5 - i));
      return std::to_string(i);
    });
  std::string all;
  while (auto v = pile.next()) all += *v;
  EXPECT_EQ(all, "01234");
}

}  // namespace

SWARMLET_ALL_BACKENDS(Sync);
