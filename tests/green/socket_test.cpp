#include "common/green/socket.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <chrono>
#include <string>
#include <system_error>
#include <vector>

#include "common/green/buffered_reader.hpp"
#include "common/green/errors.hpp"
#include "common/green/event.hpp"
#include "common/green/green_pool.hpp"
#include "common/green/operations.hpp"
#include "common/green/serve.hpp"
#include "common/green/timeout.hpp"
#include "examples/echo.hpp"
#include "hub_fixture.hpp"

using namespace std::chrono_literals;
namespace g = swarmlet::green;

namespace {

using Socket = g::testing_support::hub_test;

/// A connection on loopback: the client's socket and the server's end of it.
struct connected_pair {
  g::socket listener = g::socket::listen("127.0.0.1", 0);
  g::socket client = g::socket::connect("127.0.0.1", listener.local_port());
  g::socket server = listener.accept();
};

/// A green thread blocked in recv on `s`: returns once it is parked there.
g::green_thread<std::size_t> blocked_reader(g::socket& s) {
  auto reader = g::spawn([&s] {
    char buf[8];
    return s.recv(buf);
  });
  while (!reader.dead() && s.watched().watch().readers.empty()) g::yield();
  return reader;
}

std::uint16_t free_closed_port() {
  auto s = g::socket::listen("127.0.0.1", 0);
  return s.local_port();  // closed again when s goes: nothing listens there
}

TEST_P(Socket, ConnectSendRecvOnLoopback) {
  auto listener = g::socket::listen("127.0.0.1", 0);
  auto server = g::spawn([&listener] {
    g::socket c = listener.accept();
    char buf[64];
    const std::size_t n = c.recv(buf);
    c.sendall(std::string_view(buf, n));
    return std::string(buf, n);
  });
  g::socket client = g::socket::connect("127.0.0.1", listener.local_port());
  client.sendall("hello");
  char buf[64];
  std::string got;
  while (got.size() < 5) {
    const std::size_t n = client.recv(buf);
    ASSERT_GT(n, 0u);
    got.append(buf, n);
  }
  EXPECT_EQ(got, "hello");
  EXPECT_EQ(server.wait(), "hello");
  EXPECT_EQ(client.recv(buf), 0u) << "the server closed: recv reports end of stream";
}

TEST_P(Socket, ConnectionRefusedIsASystemError) {
  const auto port = free_closed_port();
  try {
    g::socket::connect("127.0.0.1", port);
    FAIL() << "connect to a closed port must fail";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), ECONNREFUSED) << e.what();
  }
}

TEST_P(Socket, ConnectGivesUpAfterItsTimeout) {
  // A listener that never accepts: once its queue is full the kernel drops new SYNs, so a
  // connect stays pending (retransmits come a second later) until the timeout ends it.
  auto listener = g::socket::listen("127.0.0.1", 0, 1);
  std::vector<g::socket> queued;
  bool timed_out = false;
  for (int i = 0; i < 8 && !timed_out; ++i) {
    try {
      queued.push_back(g::socket::connect("127.0.0.1", listener.local_port(), 100ms));
    } catch (const g::operation_timed_out& e) {
      timed_out = true;
      EXPECT_NE(std::string(e.what()).find("timed out"), std::string::npos);
    }
  }
  EXPECT_TRUE(timed_out) << "connect never waited: " << queued.size() << " connections queued";
}

TEST_P(Socket, RecvHonoursTheSocketTimeout) {
  connected_pair pair;
  g::socket& client = pair.client;
  client.set_timeout(20ms);
  char buf[8];
  EXPECT_THROW(client.recv(buf), g::operation_timed_out);
}

TEST_P(Socket, ATimeoutScopeInterruptsRecv) {
  connected_pair pair;
  g::socket& client = pair.client;
  char buf[8];
  EXPECT_FALSE(g::with_timeout(20ms, [&] { client.recv(buf); }));
}

TEST_P(Socket, KillInterruptsAThreadBlockedInRecv) {
  connected_pair pair;
  g::socket& client = pair.client;
  g::socket& quiet = pair.server;
  auto reader = blocked_reader(client);
  reader.kill();
  EXPECT_THROW(reader.wait(), g::green_exit);
  // The socket is still usable afterwards.
  quiet.sendall("x");
  char buf[8];
  EXPECT_EQ(client.recv(buf), 1u);
}

TEST_P(Socket, ClosingASocketWakesItsBlockedReader) {
  connected_pair pair;
  g::socket& client = pair.client;
  auto reader = blocked_reader(client);
  client.close();
  EXPECT_THROW(reader.wait(), std::system_error);
}

TEST_P(Socket, AReaderWhoseSocketNeverRunsDryLetsTheOthersRun) {
  // An endless body or a flood of small WebSocket frames: every read finds data, and the reader
  // never parked, so a thread whose answer had come waited until the flood ended.
  connected_pair flooded, quiet;
  constexpr int reads = 4000;
  flooded.server.sendall(std::string(reads, 'x'));
  int done = 0;
  int done_when_the_other_ran = -1;
  auto other = g::spawn([&] {
    char c;
    quiet.client.recv(std::span<char>(&c, 1));
    done_when_the_other_ran = done;
  });
  while (!other.dead() && quiet.client.watched().watch().readers.empty()) g::yield();
  quiet.server.sendall(std::string_view("y"));
  auto reader = g::spawn([&] {
    char c;
    for (; done < reads; ++done) ASSERT_EQ(flooded.client.recv(std::span<char>(&c, 1)), 1u);
  });
  reader.wait();
  other.wait();
  EXPECT_GE(done_when_the_other_ran, 0);
  EXPECT_LE(done_when_the_other_ran, static_cast<int>(g::hub::reads_before_sharing))
      << "the other thread's data had come; it ran only after " << done_when_the_other_ran
      << " reads of a socket that never ran dry";
}

TEST_P(Socket, LargeTransfersSurviveShortWrites) {
  auto listener = g::socket::listen("127.0.0.1", 0);
  const std::string payload(8 * 1024 * 1024, 'z');
  auto sender = g::spawn([&] {
    g::socket c = listener.accept();
    c.sendall(payload);
    c.shutdown(SHUT_WR);
  });
  g::socket client = g::socket::connect("127.0.0.1", listener.local_port());
  g::buffered_reader reader(client);
  EXPECT_EQ(reader.read_exactly(payload.size()), payload);
  EXPECT_THROW(reader.read_exactly(1), g::incomplete_read);
  sender.wait();
}

TEST_P(Socket, BytesSentJustBeforeACloseStillArriveBeforeTheEnd) {
  auto listener = g::socket::listen("127.0.0.1", 0);
  const std::string payload(1024 * 1024, 'q');
  auto sender = g::spawn([&] {
    g::socket c = listener.accept();
    c.sendall(payload);
  });  // c closes as its thread ends: on io_uring its last bytes may still be queued then
  g::socket client = g::socket::connect("127.0.0.1", listener.local_port());
  g::buffered_reader reader(client);
  EXPECT_EQ(reader.read_exactly(payload.size()), payload);
  EXPECT_THROW(reader.read_exactly(1), g::incomplete_read);
  sender.wait();
}

TEST_P(Socket, SendingToAResetPeerFails) {
  connected_pair pair;
  const linger reset{1, 0};
  ::setsockopt(pair.server.fd(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  pair.server.close();
  char buf[8];
  EXPECT_THROW(pair.client.recv(buf), std::system_error) << "the reset has arrived";
  // A send may be queued (io_uring) and fail later, but the failure must come out: shutdown
  // waits for queued sends, and the send after it reports what happened.
  EXPECT_THROW(
      {
        pair.client.sendall("x");
        pair.client.shutdown(SHUT_WR);
        pair.client.sendall("y");
      },
      std::system_error);
}

TEST_P(Socket, ReadlineSplitsLinesAcrossReads) {
  auto listener = g::socket::listen("127.0.0.1", 0);
  g::event<> first_line_read;
  auto writer = g::spawn([&] {
    g::socket c = listener.accept();
    c.sendall("one\ntw");
    first_line_read.wait();  // the reader has "tw" and waits in recv for the rest
    c.sendall("o\nthree");
  });
  g::socket client = g::socket::connect("127.0.0.1", listener.local_port());
  g::buffered_reader reader(client);
  EXPECT_EQ(reader.readline(), "one\n");
  first_line_read.send();
  EXPECT_EQ(reader.readline(), "two\n");
  EXPECT_EQ(reader.readline(), "three");
  EXPECT_EQ(reader.readline(), "");
  writer.wait();
}

TEST_P(Socket, ServeStopsWhenAHandlerRaisesStopServe) {
  auto listener = g::socket::listen("127.0.0.1", 0);
  int handled = 0;
  auto server = g::spawn([&] {
    g::serve(listener, [&handled](g::socket& c) {
      ++handled;
      g::buffered_reader r(c);
      if (r.readline() == "stop\n") throw g::stop_serve{};
      c.sendall("ok\n");
    });
  });
  {
    g::socket c = g::socket::connect("127.0.0.1", listener.local_port());
    c.sendall("hi\n");
    g::buffered_reader r(c);
    EXPECT_EQ(r.readline(), "ok\n");
  }
  g::socket c = g::socket::connect("127.0.0.1", listener.local_port());
  c.sendall("stop\n");
  server.wait();
  EXPECT_EQ(handled, 2);
}

void raise_fd_limit(rlim_t wanted) {
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_cur < wanted) {
    lim.rlim_cur = std::min(wanted, lim.rlim_max);
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

TEST_P(Socket, EchoServerServesAThousandConcurrentClients) {
  // select cannot watch fds past FD_SETSIZE (1,024); the others take the full thousand.
  const int clients = GetParam() == g::backend_kind::select ? 300 : 1000;
  raise_fd_limit(4 * clients + 64);
  auto listener = g::socket::listen("127.0.0.1", 0, 4096);
  const auto port = listener.local_port();
  auto server = g::spawn([&listener] {
    g::serve(
        listener, [](g::socket& c) { swarmlet::examples::echo_lines(c); }, 10000);
  });
  g::green_pool pool(clients);
  int connected = 0;
  g::event<> all_connected;
  int echoed = 0;
  for (int i = 0; i < clients; ++i)
    pool.spawn_n([&, port, i] {
      g::socket c = g::socket::connect("127.0.0.1", port);
      if (++connected == clients) all_connected.send();
      g::buffered_reader r(c);
      for (int round = 0; round < 3; ++round) {
        const std::string line =
            "client " + std::to_string(i) + " round " + std::to_string(round) + "\n";
        c.sendall(line);
        if (r.readline() != line) return;
        // All clients hold their connection while the others talk: real concurrency.
        if (round == 0 && !all_connected.wait_for(10s)) return;
      }
      ++echoed;
    });
  pool.waitall();
  EXPECT_EQ(echoed, clients);
  server.kill();
}

}  // namespace

SWARMLET_ALL_BACKENDS(Socket);
