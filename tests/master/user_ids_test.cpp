// The split of user ids across workers (master/distribution): unique in the whole test, kept
// by the worker that runs them where it can, never handed out while a user with that id may
// still be alive anywhere. Property-style: random sequences of joins, leaves and new totals.
#include <gtest/gtest.h>

#include <map>
#include <numeric>
#include <random>
#include <set>

#include "master/distribution.hpp"
#include "master/user_id_book.hpp"

namespace m = swarmlet::master;
namespace p = swarmlet::proto;

namespace {

using assignment = std::map<std::string, m::class_ids>;

std::uint64_t held_by(const assignment& a, const std::string& worker) {
  std::uint64_t n = 0;
  if (auto it = a.find(worker); it != a.end())
    for (const auto& [cls, ids] : it->second) n += ids.size();
  return n;
}

/// Every id is held once; classes and workers add up to what was asked.
void expect_well_formed(const assignment& a, const std::map<std::string, int>& per_class,
                        const std::vector<m::worker_weight>& workers) {
  p::id_ranges all;
  std::map<std::string, int> by_class;
  for (const auto& [worker, classes] : a)
    for (const auto& [cls, ids] : classes) {
      ASSERT_TRUE(all.intersection(ids).empty()) << "an id held twice";
      ASSERT_FALSE(ids.contains(0)) << "ids start at 1";
      all.insert(ids);
      by_class[cls] += static_cast<int>(ids.size());
    }
  for (const auto& [cls, n] : per_class) EXPECT_EQ(by_class[cls], n) << cls;
  const int total = std::accumulate(per_class.begin(), per_class.end(), 0,
                                    [](int s, const auto& e) { return s + e.second; });
  int threads = 0;
  for (const auto& w : workers) threads += w.threads;
  for (const auto& w : workers)
    EXPECT_LT(std::abs(static_cast<double>(held_by(a, w.id)) -
                       static_cast<double>(total) * w.threads / threads),
              1.0)
        << w.id;
}

TEST(UserIds, AFirstSplitNumbersTheUsersOneToN) {
  const auto a = m::assign_user_ids({}, {{"a", 7}, {"b", 3}}, {{"w1", 1}, {"w2", 1}}, {});
  expect_well_formed(a, {{"a", 7}, {"b", 3}}, {{"w1", 1}, {"w2", 1}});
  p::id_ranges all;
  for (const auto& [w, classes] : a)
    for (const auto& [cls, ids] : classes) all.insert(ids);
  EXPECT_EQ(all, p::id_ranges::span(1, 10)) << "4 users on 2 workers are not u1, u2, u1, u2";
}

TEST(UserIds, TheSameRequestAgainMovesNobody) {
  const std::vector<m::worker_weight> workers{{"w1", 2}, {"w2", 1}, {"w3", 1}};
  const std::map<std::string, int> per_class{{"a", 9}, {"b", 4}, {"c", 1}};
  const auto a = m::assign_user_ids({}, per_class, workers, {});
  EXPECT_EQ(m::assign_user_ids(a, per_class, workers, {}), a);
}

TEST(UserIds, AJoiningWorkerTakesOnlyItsShareAndNoIdStillAlive) {
  const auto before = m::assign_user_ids({}, {{"a", 12}}, {{"w1", 1}, {"w2", 1}}, {});
  const auto after = m::assign_user_ids(before, {{"a", 12}}, {{"w1", 1}, {"w2", 1}, {"w3", 1}}, {});
  expect_well_formed(after, {{"a", 12}}, {{"w1", 1}, {"w2", 1}, {"w3", 1}});
  for (const auto* w : {"w1", "w2"}) {
    const auto& kept = after.at(w).at("a");
    EXPECT_EQ(kept.intersection(before.at(w).at("a")), kept) << w << " only loses users";
    EXPECT_EQ(kept, before.at(w).at("a").lowest(4)) << w << " keeps its lowest ids";
  }
  // The ids w1 and w2 gave up are still alive until their users stop: w3 gets new ones.
  EXPECT_EQ(after.at("w3").at("a"), p::id_ranges::span(13, 16));
  // Once those users are gone, a later split reuses the freed ids.
  const auto later = m::assign_user_ids(after, {{"a", 15}}, {{"w1", 1}, {"w2", 1}, {"w3", 1}}, {});
  p::id_ranges all;
  for (const auto& [w, classes] : later) all.insert(classes.at("a"));
  EXPECT_EQ(all.highest(), 16u);
  EXPECT_EQ(all.size(), 15u);
}

TEST(UserIds, ALeavingWorkersIdsAreNotReusedWhileUnavailable) {
  const auto before = m::assign_user_ids({}, {{"a", 6}}, {{"w1", 1}, {"w2", 1}}, {});
  auto previous = before;
  previous.erase("w2");  // gone; its users may still run until it says otherwise
  const auto w2_ids = before.at("w2").at("a");
  const auto after = m::assign_user_ids(previous, {{"a", 6}}, {{"w1", 1}}, w2_ids);
  EXPECT_EQ(after.at("w1").at("a").intersection(before.at("w1").at("a")), before.at("w1").at("a"));
  EXPECT_TRUE(after.at("w1").at("a").intersection(w2_ids).empty());
}

TEST(UserIds, NoFreshIdAboveTheHighestAllowedIsGiven) {
  const auto before = m::assign_user_ids({}, {{"a", 4}}, {{"w1", 1}}, {});
  auto fewer = before;
  fewer["w1"]["a"] = p::id_ranges::span(1, 2);  // 3 and 4 are being stopped
  const auto again =
      m::assign_user_ids(fewer, {{"a", 4}}, {{"w1", 1}}, p::id_ranges::span(3, 4), 4);
  EXPECT_EQ(again.at("w1").at("a"), p::id_ranges::span(1, 2)) << "the rest wait";
  const auto beyond = m::assign_user_ids(fewer, {{"a", 4}}, {{"w1", 1}}, p::id_ranges::span(3, 4));
  EXPECT_EQ(beyond.at("w1").at("a").size(), 4u) << "unbounded: ids above N";
}

TEST(UserIdBook, IdsOfAWorkerThatLeftAreUnavailableElsewhereUntilItReportsThemGone) {
  m::user_id_book book;
  book.assign("w1", 1, {{"a", p::id_ranges::span(1, 3)}});
  book.assign("w2", 1, {{"a", p::id_ranges::span(4, 6)}});
  book.assign("w1", 2, {{"a", p::id_ranges::span(1, 2)}});  // 3 stops on w1
  book.leave("w2");
  auto all = p::id_ranges::span(3, 6);
  EXPECT_EQ(book.unavailable(), all);
  EXPECT_EQ(book.unavailable_elsewhere(), p::id_ranges::span(4, 6)) << "w2 may never report";
  EXPECT_FALSE(book.reported("w1", 1, p::id_ranges::span(1, 2))) << "taken before command 2";
  EXPECT_TRUE(book.reported("w1", 2, p::id_ranges::span(1, 2)));
  EXPECT_FALSE(book.reported("w1", 3, p::id_ranges::span(1, 2))) << "nothing more to free";
  EXPECT_EQ(book.unavailable(), p::id_ranges::span(4, 6));
}

TEST(UserIds, WorkerIndexesAreKeptAndTheLowestFreeOneGoesToANewcomer) {
  auto idx = m::assign_worker_indexes({}, {"a", "b", "c"});
  EXPECT_EQ(idx, (std::map<std::string, int>{{"a", 0}, {"b", 1}, {"c", 2}}));
  idx = m::assign_worker_indexes(idx, {"a", "c"});
  EXPECT_EQ(idx, (std::map<std::string, int>{{"a", 0}, {"c", 2}}));
  idx = m::assign_worker_indexes(idx, {"a", "c", "d"});
  EXPECT_EQ(idx.at("d"), 1) << "dense again";
}

/// A test's life on the master's side, step by step: workers join and leave, totals change;
/// users removed from a worker stay alive for a few steps (stopping). Whatever happens, no id
/// is handed to a new user while a user with that id is alive anywhere, each worker keeps
/// what it can, and ids stay within the peak number of users alive at once.
TEST(UserIds, RandomJoinsLeavesAndRespreadsKeepEveryIdUniqueAmongLiveUsers) {
  std::mt19937 rng(12);
  for (int run = 0; run < 60; ++run) {
    std::vector<m::worker_weight> workers{{"w0", 1 + static_cast<int>(rng() % 3)}};
    int next_worker = 1;
    assignment current;
    // Users stopping (removed from their worker, not gone yet): id -> steps left.
    std::map<std::uint64_t, int> stopping;
    std::size_t peak_alive = 0;
    for (int step = 0; step < 40; ++step) {
      switch (rng() % 4) {
        case 0:
          if (workers.size() < 6)
            workers.push_back(
                {"w" + std::to_string(next_worker++), 1 + static_cast<int>(rng() % 3)});
          break;
        case 1:
          if (workers.size() > 1) {
            const std::size_t gone = rng() % workers.size();
            // A worker that leaves: its users may still be alive for a while.
            for (const auto& [cls, ids] : current[workers[gone].id])
              for (auto id : ids.values()) stopping[id] = 1 + static_cast<int>(rng() % 3);
            current.erase(workers[gone].id);
            workers.erase(workers.begin() + static_cast<long>(gone));
          }
          break;
        default:
          break;
      }
      // Users stopping since the last step are gone now, some of them.
      for (auto it = stopping.begin(); it != stopping.end();)
        it = --it->second <= 0 ? stopping.erase(it) : std::next(it);
      const std::map<std::string, int> per_class{{"a", static_cast<int>(rng() % 30)},
                                                 {"b", static_cast<int>(rng() % 8)}};
      p::id_ranges unavailable;
      for (const auto& [id, left] : stopping) unavailable.insert(id);
      const auto next = m::assign_user_ids(current, per_class, workers, unavailable);
      expect_well_formed(next, per_class, workers);
      p::id_ranges alive_before = unavailable;
      for (const auto& [w, classes] : current)
        for (const auto& [cls, ids] : classes) alive_before.insert(ids);
      for (const auto& w : workers) {
        std::uint64_t kept = 0;
        for (const auto& [cls, ids] : next.count(w.id) ? next.at(w.id) : m::class_ids{}) {
          p::id_ranges had;
          if (current.count(w.id) && current.at(w.id).count(cls)) had = current.at(w.id).at(cls);
          p::id_ranges gained = ids;
          gained.erase(had);
          ASSERT_TRUE(gained.intersection(alive_before).empty())
              << "a new user got the id of a user still alive";
          kept += ids.size() - gained.size();
        }
        // A worker keeps what both its old and new totals allow, but for the users its
        // classes lost (a class that shrinks may shrink here).
        std::uint64_t shrink = 0;
        for (const auto& [cls, n] : per_class) {
          std::uint64_t had = 0;
          for (const auto& [w2, classes] : current)
            if (classes.count(cls)) had += classes.at(cls).size();
          shrink += had > static_cast<std::uint64_t>(n) ? had - n : 0;
        }
        const std::uint64_t floor =
            std::min<std::uint64_t>(held_by(current, w.id), held_by(next, w.id));
        EXPECT_GE(kept + shrink, floor) << "minimal moves";
      }
      // Users the workers dropped are stopping now.
      for (const auto& [w, classes] : current)
        for (const auto& [cls, ids] : classes) {
          p::id_ranges dropped = ids;
          if (next.count(w) && next.at(w).count(cls)) dropped.erase(next.at(w).at(cls));
          for (auto id : dropped.values()) stopping[id] = 1 + static_cast<int>(rng() % 3);
        }
      current = next;
      std::size_t alive = stopping.size();
      for (const auto& [w, classes] : current)
        for (const auto& [cls, ids] : classes) alive += ids.size();
      peak_alive = std::max(peak_alive, alive);
      for (const auto& [w, classes] : current)
        for (const auto& [cls, ids] : classes)
          if (!ids.empty()) EXPECT_LE(*ids.highest(), peak_alive) << "ids stay within 1..peak";
    }
  }
}

}  // namespace
