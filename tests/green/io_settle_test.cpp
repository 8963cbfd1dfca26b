// hub::yield_until_io_settles: the caller goes on once the I/O that is ready has been read and
// what it woke has run, and a loaded hub, whose every poll finds I/O, holds it only so long.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <system_error>
#include <vector>

#include "common/green/operations.hpp"
#include "common/green/socket.hpp"
#include "hub_fixture.hpp"

using namespace std::chrono_literals;
namespace g = swarmlet::green;

namespace {

using IoSettle = g::testing_support::hub_test;
/// Two connected sockets. AF_UNIX: a send has queued its bytes at the peer by the time it
/// returns, so the next poll finds them whatever the load (loopback TCP may leave delivery to
/// ksoftirqd).
struct connected_pair {
  connected_pair() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0)
      throw std::system_error(errno, std::generic_category(), "socketpair");
    client = g::socket(fds[0], true);
    server = g::socket(fds[1], true);
  }
  g::socket client, server;
};

/// Parks until `s` has a green thread waiting to read it.
void wait_for_a_reader(g::socket& s) {
  while (s.watched().watch().readers.empty()) g::yield();
}

/// Two green threads passing one byte back and forth over `p`, `turns` times in all, each
/// first busy for `work` of clock time; `passes` counts the bytes received.
struct ping_pong {
  ping_pong(connected_pair& p, int turns, g::duration work = {})
      : server(g::spawn([&p, turns, work, this] { bounce(p.server, turns, work); })),
        client(g::spawn([&p, turns, work, this] { bounce(p.client, turns, work); })) {
    wait_for_a_reader(p.server);
    wait_for_a_reader(p.client);
    p.client.sendall("x");
  }
  void bounce(g::socket& s, int turns, g::duration work) {
    char byte = 0;
    while (passes < turns && s.recv({&byte, 1}) == 1) {
      ++passes;
      const auto until = g::clock::now() + work;
      while (g::clock::now() < until) {
      }
      s.sendall({&byte, 1});
    }
  }
  int passes = 0;
  g::green_thread<void> server, client;
};

TEST_P(IoSettle, WhatReadyIoWakesRunsFirstAndWhatThatWakesInTurn) {
  connected_pair p;
  std::vector<std::string> order;
  auto server = g::spawn([&] {
    char byte = 0;
    p.server.recv({&byte, 1});
    order.emplace_back("server read");
    p.server.sendall("y");
  });
  auto client = g::spawn([&] {
    char byte = 0;
    p.client.recv({&byte, 1});
    order.emplace_back("client read");
  });
  wait_for_a_reader(p.server);
  wait_for_a_reader(p.client);
  p.client.sendall("x");
  // sleep(0) would go on at once: both readers are parked on I/O, not ready.
  const auto began = g::clock::now();
  g::yield_until_io_settles();
  const bool within_the_time_limit = g::clock::now() - began < g::hub::io_settle_max_time;
  order.emplace_back("settled");
  ASSERT_FALSE(order.empty());
  EXPECT_EQ(order.front(), "server read") << "the first poll's I/O comes first, always";
  // The second hop needs a second poll; on a slow machine the time limit may end the wait
  // at the first (it was measured from before the park).
  if (within_the_time_limit)
    EXPECT_EQ(order, (std::vector<std::string>{"server read", "client read", "settled"}));
  server.wait();
  client.wait();
}

TEST_P(IoSettle, IoReadyAtEveryPollHoldsTheCallerOnlySoManyPolls) {
  connected_pair p;
  constexpr int turns = 10'000;
  ping_pong game(p, turns);
  g::yield_until_io_settles();
  const int passes = game.passes;
  EXPECT_GE(passes, 1) << "the first poll's I/O comes first";
  EXPECT_LE(passes, g::hub::io_settle_max_polls + 1) << "one pass per poll, and the one running";
  game.server.wait();
  game.client.wait();
}

TEST_P(IoSettle, SlowTurnsHoldTheCallerOnlySoLong) {
  connected_pair p;
  // Each pass takes longer than the whole wait may: the poll after the first one ends it.
  ping_pong game(p, 100, g::hub::io_settle_max_time + 100us);
  g::yield_until_io_settles();
  EXPECT_GE(game.passes, 1) << "the first poll's I/O comes first";
  EXPECT_LE(game.passes, 3) << "the time limit did not end the wait";
  game.server.wait();
  game.client.wait();
}

}  // namespace

SWARMLET_ALL_BACKENDS(IoSettle);
