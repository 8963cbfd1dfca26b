// The green resolver against a real DNS server on loopback (tests/support/dns_server.py): a
// slow answer parks only the thread that asked, answers are shared and cached as their TTL
// says, and a name that does not resolve, or whose server never answers, fails clearly.
#include "common/green/dns_resolver.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "common/green/errors.hpp"
#include "common/green/green_thread.hpp"
#include "common/green/operations.hpp"
#include "common/green/socket.hpp"
#include "hub_fixture.hpp"
#include "tests/support/process.hpp"

namespace swarmlet::green {
namespace {

using namespace std::chrono_literals;

class DnsResolver : public testing_support::hub_test {
 protected:
  void SetUp() override {
    hub_test::SetUp();
    if (IsSkipped()) return;
    const std::string line = server_.wait_for_line("listening on");
    ASSERT_FALSE(line.empty()) << server_.err();
    port_ = std::stoi(line.substr(line.rfind(' ') + 1));
  }
  dns_settings settings() const {
    dns_settings s;
    s.servers = {"127.0.0.1:" + std::to_string(port_)};
    return s;
  }
  /// Says `message` to the server and returns its answer (the server answers at once).
  std::string ask_server(const std::string& message) const {
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port_));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::sendto(fd, message.data(), message.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
    char buf[64];
    const auto n = message.rfind("count ", 0) == 0 ? ::recv(fd, buf, sizeof buf, 0) : 0;
    ::close(fd);
    return std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
  }
  int asked(const std::string& name) const { return std::stoi(ask_server("count " + name)); }
  static std::string text_of(const socket_address& a) {
    char buf[INET6_ADDRSTRLEN] = {};
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(a.storage);
    ::inet_ntop(AF_INET, &v4.sin_addr, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(ntohs(v4.sin_port));
  }

  ::swarmlet::testing_support::process server_{{"/usr/bin/python3", DNS_SERVER_SCRIPT}};
  int port_ = 0;
};

TEST_P(DnsResolver, ANameResolvesToItsAddressWithThePortAsked) {
  dns_resolver r(settings());
  const auto addrs = r.resolve("app.test", 8080, std::nullopt);
  ASSERT_EQ(addrs.size(), 1u);
  EXPECT_EQ(text_of(addrs[0]), "127.0.0.1:8080");
}

TEST_P(DnsResolver, ASlowAnswerParksOnlyTheThreadThatAsked) {
  configure_dns(settings());
  bool resolved = false;
  auto lookup = spawn([&] {
    auto addrs = hub_dns_resolver().resolve("held.test", 80, clock::now() + 30s);
    resolved = true;
    return addrs.size();
  });
  // This thread runs while the lookup waits for its answer: it sees the server hold the
  // question, then lets the server answer. A resolver that blocked the hub would never get here
  // before its own deadline.
  while (asked("held.test") == 0) yield();
  EXPECT_FALSE(resolved);
  ask_server("release held.test");
  EXPECT_EQ(lookup.wait(), 1u);
  EXPECT_TRUE(resolved);
}

TEST_P(DnsResolver, ThreadsAskingTheSameNameShareOneQueryAndTheAnswerIsCached) {
  configure_dns(settings());
  std::vector<green_thread<std::size_t>> lookups;
  for (int i = 0; i < 50; ++i)
    lookups.push_back(
        spawn([] { return hub_dns_resolver().resolve("shared.test", 80, {}).size(); }));
  for (auto& l : lookups) EXPECT_EQ(l.wait(), 1u);
  EXPECT_EQ(hub_dns_resolver().resolve("shared.test", 81, {}).size(), 1u);
  EXPECT_EQ(hub_dns_resolver().lookups(), 1u);
  EXPECT_EQ(asked("shared.test"), 1);
}

TEST_P(DnsResolver, AnAnswerWithTtlZeroIsAskedAgain) {
  dns_resolver r(settings());
  r.resolve("ttl0.test", 80, {});
  r.resolve("ttl0.test", 80, {});
  EXPECT_EQ(asked("ttl0.test"), 2);
}

TEST_P(DnsResolver, TheCacheKeepsAtMostItsBoundAndAMaxTtlOfZeroDisablesIt) {
  auto s = settings();
  s.max_cached_names = 2;
  dns_resolver bounded(s);
  for (const char* name : {"a.test", "b.test", "c.test", "a.test", "c.test"})
    bounded.resolve(name, 80, {});
  EXPECT_EQ(bounded.lookups(), 4u) << "a.test made room for c.test; c.test stayed";
  s.max_ttl = duration::zero();
  dns_resolver uncached(s);
  uncached.resolve("d.test", 80, {});
  uncached.resolve("d.test", 80, {});
  EXPECT_EQ(asked("d.test"), 2);
}

TEST_P(DnsResolver, ANameThatDoesNotExistIsAResolveError) {
  dns_resolver r(settings());
  try {
    r.resolve("nx.test", 80, {});
    FAIL() << "nx.test resolved";
  } catch (const resolve_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("resolve nx.test: ", 0), 0u) << e.what();
  }
}

TEST_P(DnsResolver, AServerThatAnswersServfailIsSaidToHaveAnswered) {
  // c-ares says "Could not contact DNS servers", though they answered.
  dns_resolver r(settings());
  try {
    r.resolve("servfail.test", 80, clock::now() + 10s);
    FAIL() << "servfail.test resolved";
  } catch (const resolve_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "resolve servfail.test: the name servers answered with a failure (SERVFAIL or "
              "REFUSED) or refused the connection");
  }
}

TEST_P(DnsResolver, AServerThatNeverAnswersEndsAtTheCallersDeadline) {
  dns_resolver r(settings());
  try {
    r.resolve("silent.test", 80, clock::now() + 300ms);
    FAIL() << "silent.test resolved";
  } catch (const resolve_error& e) {
    EXPECT_STREQ(e.what(), "resolve silent.test: no answer from the name servers in time");
  }
  // The hub goes on: another name still resolves on the same resolver.
  EXPECT_EQ(r.resolve("after.test", 80, {}).size(), 1u);
}

TEST_P(DnsResolver, EtcHostsIsReadBeforeAnyServer) {
  dns_resolver r(settings());
  const auto addrs = r.resolve("localhost", 80, {});
  ASSERT_FALSE(addrs.empty());
  EXPECT_EQ(asked("localhost"), 0);
}

TEST_P(DnsResolver, ASocketConnectsByNameThroughTheHubsResolver) {
  configure_dns(settings());
  auto listener = green::socket::listen("127.0.0.1", 0);
  sockaddr_in bound{};
  socklen_t len = sizeof bound;
  ::getsockname(listener.fd(), reinterpret_cast<sockaddr*>(&bound), &len);
  auto accepted = spawn([&] { return listener.accept().fd() >= 0; });
  auto s = green::socket::connect("connect.test", ntohs(bound.sin_port), 5s);
  EXPECT_TRUE(accepted.wait());
  EXPECT_EQ(asked("connect.test"), 1);
}

TEST_P(DnsResolver, ConnectionsTakeANamesAddressesInTurnFirstOrAtRandomAsTheyAreTold) {
  const auto firsts = [&](dns_select select, int calls) {
    auto s = settings();
    s.select = select;
    dns_resolver r(s);
    std::vector<std::string> out;
    for (int i = 0; i < calls; ++i) {
      const auto addrs = r.resolve("two.test", 80, {});
      EXPECT_EQ(addrs.size(), 2u) << "the others stay, as fallbacks";
      out.push_back(text_of(addrs.front()));
    }
    return out;
  };
  EXPECT_EQ(
      firsts(dns_select::round_robin, 4),
      (std::vector<std::string>{"127.0.0.1:80", "127.0.0.2:80", "127.0.0.1:80", "127.0.0.2:80"}))
      << "by default, each connection the next (k6 picks at random; a DNS answer cached for "
         "minutes sent every connection to the first address)";
  EXPECT_EQ(firsts(dns_select::first, 3), (std::vector<std::string>(3, "127.0.0.1:80")));
  const auto any = firsts(dns_select::random, 64);
  EXPECT_NE(std::find(any.begin(), any.end(), "127.0.0.1:80"), any.end());
  EXPECT_NE(std::find(any.begin(), any.end(), "127.0.0.2:80"), any.end());
}

/// Binds `address`:`port` (loopback) and fills its queue: the kernel then drops connection
/// attempts to it, as a host that is down does (no answer, no refusal).
class dropping_listener {
 public:
  dropping_listener(const char* address, std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    ::inet_pton(AF_INET, address, &a.sin_addr);
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 0) != 0)
      return;
    for (int i = 0; i < 3; ++i) {
      const int c = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      ::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a);
      pending_.push_back(c);
    }
    bound_ = true;
  }
  ~dropping_listener() {
    for (const int c : pending_) ::close(c);
    ::close(fd_);
  }
  bool bound() const { return bound_; }

 private:
  int fd_ = -1;
  bool bound_ = false;
  std::vector<int> pending_;
};

TEST_P(DnsResolver, AConnectionFallsBackToTheNextAddressAndOneThatFailedIsTriedLast) {
  configure_dns(settings());
  auto listener = green::socket::listen("127.0.0.1", 0);
  sockaddr_in bound{};
  socklen_t len = sizeof bound;
  ::getsockname(listener.fd(), reinterpret_cast<sockaddr*>(&bound), &len);
  const std::uint16_t port = ntohs(bound.sin_port);
  auto accepted = spawn([&] {
    int n = 0;
    for (;;) {
      listener.accept();
      ++n;
      if (n == 2) return n;
    }
  });
  // deadfirst.test is 127.0.0.3 (which drops the attempt), then 127.0.0.1 (which serves).
  dropping_listener down("127.0.0.3", port);
  ASSERT_TRUE(down.bound()) << "127.0.0.3:" << port << " is taken";
  // With the whole connect time spent on the first address, this timed out though the
  // second served (QA); each address now has its share.
  EXPECT_NO_THROW(green::socket::connect("deadfirst.test", port, 4s));
  const auto order = hub_dns_resolver().resolve("deadfirst.test", port, {});
  ASSERT_EQ(order.size(), 2u);
  EXPECT_EQ(text_of(order.front()), "127.0.0.1:" + std::to_string(port))
      << "the address that failed goes last while the answer is cached";
  EXPECT_NO_THROW(green::socket::connect("deadfirst.test", port, 4s));
  EXPECT_EQ(accepted.wait(), 2);
}

TEST_P(DnsResolver, AnAddressThatRefusesIsTriedLastAndAllFailingGiveEachItsTurnAgain) {
  dns_resolver r(settings());
  auto order = r.resolve("deadfirst.test", 80, {});
  ASSERT_EQ(text_of(order.front()), "127.0.0.3:80");
  r.connection_failed("deadfirst.test", order.front());
  EXPECT_EQ(text_of(r.resolve("deadfirst.test", 80, {}).front()), "127.0.0.1:80");
  EXPECT_EQ(text_of(r.resolve("deadfirst.test", 80, {}).front()), "127.0.0.1:80")
      << "not its turn while it failed";
  r.connection_failed("deadfirst.test", order.back());
  const auto again = r.resolve("deadfirst.test", 80, {});
  EXPECT_EQ(again.size(), 2u) << "both failed: both are tried, in turn";
}

SWARMLET_ALL_BACKENDS(DnsResolver);

}  // namespace
}  // namespace swarmlet::green
