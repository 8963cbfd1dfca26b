#include "common/green/zmq_socket.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "common/green/buffered_reader.hpp"
#include "common/green/operations.hpp"
#include "common/green/socket.hpp"
#include "hub_fixture.hpp"

using namespace std::chrono_literals;
namespace g = swarmlet::green;

namespace {

using Zmq = g::testing_support::hub_test;

std::string text(const zmq::message_t& m) {
  return m.to_string();
}

TEST_P(Zmq, PushPullInsideOneHubAlongsideTcp) {
  zmq::context_t ctx;
  g::zmq_socket pull(ctx, zmq::socket_type::pull);
  pull.bind("tcp://127.0.0.1:*");
  const std::string endpoint = pull.last_endpoint();

  auto listener = g::socket::listen("127.0.0.1", 0);
  constexpr int messages = 2000;
  // A TCP echo and a ZeroMQ consumer progress at once on the same hub.
  auto consumer = g::spawn([&pull] {
    long sum = 0;
    for (int i = 0; i < messages; ++i) {
      zmq::message_t m;
      pull.recv(m);
      sum += std::stol(text(m));
    }
    return sum;
  });
  auto tcp = g::spawn([&listener] {
    g::socket c = listener.accept();
    g::buffered_reader r(c);
    int lines = 0;
    while (!r.readline().empty()) ++lines;
    return lines;
  });
  auto producer = g::spawn([&ctx, &endpoint] {
    g::zmq_socket push(ctx, zmq::socket_type::push);
    push.raw().set(zmq::sockopt::sndhwm, 10);  // small: the producer must park on the HWM
    push.connect(endpoint);
    for (int i = 0; i < messages; ++i) {
      const std::string s = std::to_string(i);
      push.send(zmq::buffer(s));
    }
    push.raw().set(zmq::sockopt::linger, 5000);  // deliver what is queued before closing
  });
  {
    g::socket c = g::socket::connect("127.0.0.1", listener.local_port());
    for (int i = 0; i < 100; ++i) {
      c.sendall("line\n");
      if (i % 10 == 0) g::sleep(0s);
    }
  }
  producer.wait();
  EXPECT_EQ(consumer.wait(), long(messages) * (messages - 1) / 2);
  EXPECT_EQ(tcp.wait(), 100);
}

TEST_P(Zmq, RecvTimesOutWhenNothingArrives) {
  zmq::context_t ctx;
  g::zmq_socket pull(ctx, zmq::socket_type::pull);
  pull.bind("tcp://127.0.0.1:*");
  zmq::message_t m;
  EXPECT_FALSE(pull.recv(m, 20ms).has_value());
}

TEST_P(Zmq, RouterDealerMultipartRoundTrip) {
  zmq::context_t ctx;
  g::zmq_socket router(ctx, zmq::socket_type::router);
  router.bind("tcp://127.0.0.1:*");
  const std::string endpoint = router.last_endpoint();
  auto server = g::spawn([&router] {
    for (int i = 0; i < 50; ++i) {
      auto parts = router.recv_multipart();
      EXPECT_EQ(parts->size(), 3u);  // identity, a, b
      std::vector<zmq::message_t> reply;
      reply.emplace_back(std::move((*parts)[0]));
      reply.emplace_back(text((*parts)[1]) + text((*parts)[2]));
      router.send_multipart(reply);
    }
  });
  std::vector<g::green_thread<int>> clients;
  for (int c = 0; c < 5; ++c)
    clients.push_back(g::spawn([&ctx, &endpoint, c] {
      g::zmq_socket dealer(ctx, zmq::socket_type::dealer);
      dealer.raw().set(zmq::sockopt::routing_id, "client" + std::to_string(c));
      dealer.connect(endpoint);
      int ok = 0;
      for (int i = 0; i < 10; ++i) {
        std::vector<zmq::message_t> req;
        req.emplace_back(std::to_string(c));
        req.emplace_back(std::to_string(i));
        dealer.send_multipart(req);
        auto reply = dealer.recv_multipart(5s);
        if (reply && text((*reply)[0]) == std::to_string(c) + std::to_string(i)) ++ok;
      }
      return ok;
    }));
  int total = 0;
  for (auto& c : clients) total += c.wait();
  server.wait();
  EXPECT_EQ(total, 50);
}

TEST_P(Zmq, SenderAndReceiverParkedOnOneSocketBothProgress) {
  zmq::context_t ctx;
  g::zmq_socket a(ctx, zmq::socket_type::pair);
  a.bind("tcp://127.0.0.1:*");
  g::zmq_socket b(ctx, zmq::socket_type::pair);
  b.connect(a.last_endpoint());
  constexpr int n = 500;
  // On `a`, one thread sends while another receives: they share one ZMQ_FD.
  auto a_sender = g::spawn([&a] {
    for (int i = 0; i < n; ++i) a.send(zmq::buffer(std::string("x")));
  });
  auto a_receiver = g::spawn([&a] {
    int got = 0;
    zmq::message_t m;
    while (got < n && a.recv(m, 10s)) ++got;
    return got;
  });
  auto b_echo = g::spawn([&b] {
    int got = 0;
    zmq::message_t m;
    while (got < n && b.recv(m, 10s)) {
      ++got;
      b.send(m);
    }
    return got;
  });
  a_sender.wait();
  EXPECT_EQ(b_echo.wait(), n);
  EXPECT_EQ(a_receiver.wait(), n);
}

}  // namespace

SWARMLET_ALL_BACKENDS(Zmq);
