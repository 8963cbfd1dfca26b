// The ZeroMQ transport on loopback: identities, framing, the welcome's stats port, bad frames.
#include "proto/zmq_transport.hpp"

#include <gtest/gtest.h>
#include <netdb.h>

#include <iterator>
#include <thread>
#include <zmq_addon.hpp>

#include "common/green/hub.hpp"
#include "common/green/operations.hpp"
#include "common/green/timeout.hpp"
#include "proto/curve_keys.hpp"
#include "proto/stats_frame.hpp"
#include "proto/zap_authenticator.hpp"

namespace p = swarmlet::proto;
namespace g = swarmlet::green;
using namespace std::chrono_literals;

namespace {

struct ZmqTransport : ::testing::Test {
  g::hub hub;
  zmq::context_t context;
  p::zmq_master_transport master{context, {"127.0.0.1", 0, 0, std::nullopt}};
  std::unique_ptr<p::zmq_worker_transport> connect(const std::string& id) {
    p::zmq_worker_options o;
    o.control_endpoint = master.control_endpoint();
    o.worker_id = id;
    return std::make_unique<p::zmq_worker_transport>(context, o);
  }
};

TEST_F(ZmqTransport, ControlMessagesCarryTheWorkersIdentityBothWays) {
  auto worker = connect("w1");
  // A DEALER with ZMQ_IMMEDIATE sends only once connected: say hello until heard.
  auto hello = p::make_message(p::message_type::hello, "w1", p::hello_payload{"h", 7, 2});
  auto sender = g::spawn([&] {
    for (;;) {
      worker->send(hello);
      g::sleep(20ms);
    }
  });
  const auto got = master.receive_control();
  sender.kill();
  EXPECT_EQ(got.peer, "w1");
  const auto& m = std::get<p::message>(got.content);
  EXPECT_EQ(std::get<p::hello_payload>(m.body).threads, 2);

  ASSERT_TRUE(master.send("w1", p::make_message(p::message_type::quit, "master")));
  const auto back = worker->receive();
  EXPECT_EQ(std::get<p::message>(back.content).type, p::message_type::quit);
}

TEST_F(ZmqTransport, StatsGoToThePortTheWelcomeSays) {
  auto worker = connect("w1");
  EXPECT_GT(master.stats_port(), 0);
  worker->use_stats_port(master.stats_port());
  p::stats_report r;
  r.worker_id = "w1";
  r.run_id = 3;
  r.sequence = 1;
  worker->push_stats(p::encode(p::make_message(p::message_type::stats, "w1", r)));
  const auto got = master.receive_stats();
  p::stats_frame frame;
  ASSERT_FALSE(frame.read(std::get<p::stats_bytes>(got).bytes));
  EXPECT_EQ(std::get<p::stats_bytes>(got).key, "") << "no CURVE: no key";
  EXPECT_EQ(frame.run_id, 3u);
  EXPECT_EQ(frame.sender, "w1");
}

TEST(ZmqEndpoint, AWorkerDialsIpv6OnlyForAnIpv6AddressOrANameWithNoIpv4One) {
  EXPECT_TRUE(p::dials_ipv6("tcp://[::1]:5557"));
  EXPECT_TRUE(p::dials_ipv6("tcp://[fe80::1%eth0]:5557"));
  EXPECT_FALSE(p::dials_ipv6("tcp://127.0.0.1:5557"));
  // localhost has an IPv4 address whether or not /etc/hosts maps it to ::1 too: with IPv6 on,
  // ZeroMQ would dial only ::1, and a master on 127.0.0.1 never answers.
  EXPECT_FALSE(p::dials_ipv6("tcp://localhost:5557"));
  EXPECT_TRUE(p::dials_ipv6("tcp://no-such-host.invalid:5557"))
      << "no address yet: IPv6, which takes IPv4 addresses mapped in once the name has them";
  EXPECT_FALSE(p::dials_ipv6("garbage"));
}

TEST(ZmqEndpoint, DialledOverIpv6ANameWithOnlyAnIpv4AddressStillReachesTheMaster) {
  // What dials_ipv6 counts on for a name that has no address at a worker's start: with IPv6
  // on, ZeroMQ takes the name's IPv4 addresses mapped in when it has no IPv6 one.
  if (p::dials_ipv6("tcp://localhost:1")) GTEST_SKIP() << "localhost has no IPv4 address here";
  bool v6_too = false;
  {
    addrinfo hints{};
    hints.ai_family = AF_INET6;
    addrinfo* found = nullptr;
    v6_too = getaddrinfo("localhost", nullptr, &hints, &found) == 0;
    if (found != nullptr) freeaddrinfo(found);
  }
  if (v6_too) GTEST_SKIP() << "localhost has an IPv6 address here: ZeroMQ would dial only that";
  g::hub hub;
  zmq::context_t context;
  p::zmq_master_transport master{context, {"127.0.0.1", 0, 0, std::nullopt}};
  const std::string endpoint = master.control_endpoint();
  g::zmq_socket dealer(context, zmq::socket_type::dealer);
  dealer.raw().set(zmq::sockopt::routing_id, "w4");
  dealer.raw().set(zmq::sockopt::ipv6, 1);
  dealer.connect("tcp://localhost:" + endpoint.substr(endpoint.rfind(':') + 1));
  const std::string hello =
      p::encode(p::make_message(p::message_type::hello, "w4", p::hello_payload{"h", 7, 1}));
  auto sender = g::spawn([&] {
    for (;;) {
      dealer.send(zmq::buffer(hello), zmq::send_flags::none, 20ms);
      g::sleep(20ms);
    }
  });
  std::string peer;
  const bool heard = g::with_timeout(20s, [&] { peer = master.receive_control().peer; });
  sender.kill();
  ASSERT_TRUE(heard) << "ZeroMQ with IPv6 on did not map the name's IPv4 address";
  EXPECT_EQ(peer, "w4");
}

TEST(ZmqEndpoint, AWorkerReachesAMasterOnIpv6Loopback) {
  g::hub hub;
  zmq::context_t context;
  std::unique_ptr<p::zmq_master_transport> master;
  try {
    master = std::make_unique<p::zmq_master_transport>(
        context, p::zmq_master_options{"::1", 0, 0, std::nullopt});
  } catch (const p::bind_error& e) {
    GTEST_SKIP() << "no IPv6 loopback here: " << e.what();
  }
  p::zmq_worker_options o;
  o.control_endpoint = master->control_endpoint();
  ASSERT_EQ(o.control_endpoint.rfind("tcp://[::1]:", 0), 0u) << o.control_endpoint;
  o.worker_id = "w6";
  p::zmq_worker_transport worker(context, o);
  auto sender = g::spawn([&] {
    for (;;) {
      worker.send(p::make_message(p::message_type::hello, "w6", p::hello_payload{"h", 7, 1}));
      g::sleep(20ms);
    }
  });
  std::string peer;
  const bool heard = g::with_timeout(20s, [&] { peer = master->receive_control().peer; });
  sender.kill();
  ASSERT_TRUE(heard) << "the worker never reached the master at " << o.control_endpoint;
  EXPECT_EQ(peer, "w6");
}

TEST(ZmqTransportCurve, FramesOnBothPlanesCarryTheKeyTheWorkerWasAdmittedWith) {
  g::hub hub;
  zmq::context_t context;
  const auto master_keys = p::generate_curve_keypair();
  const auto worker_keys = p::generate_curve_keypair();
  p::zap_authenticator zap(context, {worker_keys.public_key}, nullptr);
  p::zmq_master_transport master{context, {"127.0.0.1", 0, 0, master_keys}};
  p::zmq_worker_options o;
  o.control_endpoint = master.control_endpoint();
  o.worker_id = "w1";
  o.curve = p::curve_client_keys{master_keys.public_key, worker_keys};
  p::zmq_worker_transport worker(context, o);
  auto hello = p::make_message(p::message_type::hello, "w1", p::hello_payload{"h", 7, 2});
  auto sender = g::spawn([&] {
    for (;;) {
      worker.send(hello);
      g::sleep(20ms);
    }
  });
  const auto got = master.receive_control();
  sender.kill();
  EXPECT_EQ(got.peer, "w1");
  EXPECT_EQ(got.key, worker_keys.public_key);
  worker.use_stats_port(master.stats_port());
  p::stats_report r;
  r.worker_id = "w1";
  r.run_id = 3;
  r.sequence = 1;
  worker.push_stats(p::encode(p::make_message(p::message_type::stats, "w1", r)));
  const auto stats = master.receive_stats();
  EXPECT_EQ(std::get<p::stats_bytes>(stats).key, worker_keys.public_key);
}

TEST_F(ZmqTransport, FramesOfTheWrongShapeAreBadFramesWithAReason) {
  zmq::socket_t raw_dealer(context, zmq::socket_type::dealer);
  raw_dealer.set(zmq::sockopt::routing_id, "raw");
  raw_dealer.connect(master.control_endpoint());
  raw_dealer.send(zmq::str_buffer("one"), zmq::send_flags::sndmore);
  raw_dealer.send(zmq::str_buffer("two"), zmq::send_flags::none);
  const auto control = master.receive_control();
  ASSERT_TRUE(std::holds_alternative<p::decode_error>(control.content));
  EXPECT_EQ(std::get<p::decode_error>(control.content).reason,
            "expected [identity, message], got 3 frames");

  zmq::socket_t raw_push(context, zmq::socket_type::push);
  raw_push.connect("tcp://127.0.0.1:" + std::to_string(master.stats_port()));
  raw_push.send(zmq::str_buffer("a"), zmq::send_flags::sndmore);
  raw_push.send(zmq::str_buffer("b"), zmq::send_flags::none);
  raw_push.send(zmq::str_buffer("not msgpack"), zmq::send_flags::none);
  const auto several = master.receive_stats();
  EXPECT_EQ(std::get<p::decode_error>(several).reason, "stats message of several frames");
  const auto garbage = master.receive_stats();
  p::stats_frame frame;
  EXPECT_TRUE(frame.read(std::get<p::stats_bytes>(garbage).bytes)) << "one frame, not a report";
}

TEST_F(ZmqTransport, AMessageOfSeveralFramesToAWorkerIsABadMessage) {
  zmq::socket_t raw_router(context, zmq::socket_type::router);
  raw_router.bind("tcp://127.0.0.1:*");
  p::zmq_worker_options o;
  o.control_endpoint = raw_router.get(zmq::sockopt::last_endpoint);
  o.worker_id = "w9";
  p::zmq_worker_transport worker(context, o);
  // A plain ROUTER blocks its OS thread: it runs on one of its own, and learns the worker's
  // identity from the worker's first frame.
  std::thread router([&] {
    std::vector<zmq::message_t> parts;
    (void)zmq::recv_multipart(raw_router, std::back_inserter(parts));
    raw_router.send(zmq::buffer(parts.front().to_string()), zmq::send_flags::sndmore);
    raw_router.send(zmq::str_buffer("a"), zmq::send_flags::sndmore);
    raw_router.send(zmq::str_buffer("b"), zmq::send_flags::none);
  });
  auto sayer = g::spawn([&] {
    for (;;) {
      worker.send(p::make_message(p::message_type::hello, "w9", p::hello_payload{}));
      g::sleep(20ms);
    }
  });
  const auto got = worker.receive();
  sayer.kill();
  router.join();
  ASSERT_TRUE(std::holds_alternative<p::decode_error>(got.content));
  EXPECT_EQ(std::get<p::decode_error>(got.content).reason, "expected one frame, got 2");
}

}  // namespace
