// Names in a scenario resolved by the worker's own resolver (c-ares) against a DNS server that
// the test runs on loopback: requests reach the target by name, counted exactly, with a few
// questions to the server rather than one per connection; a name that does not exist is a
// named failure of each request.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>

#include "target_fixture.hpp"
#include "tests/support/process.hpp"

namespace ts = swarmlet::testing_support;

namespace {

const std::string binary = SWARMLET_BINARY;

class ResolvedByName : public ts::against_target {
 protected:
  void SetUp() override {
    against_target::SetUp();
    const std::string line = dns_.wait_for_line("listening on");
    ASSERT_FALSE(line.empty()) << dns_.err();
    dns_port_ = line.substr(line.rfind(' ') + 1);
  }
  /// A scenario aimed at `host` on the target's port, asking the test's DNS server.
  std::string scenario_for(const std::string& host, const std::string& body) {
    const std::string port = url_.substr(url_.rfind(':') + 1);
    return ts::write_temp_file("scenario.yaml", "target: http://" + host + ":" + port +
                                                    "\ndns: {servers: [\"127.0.0.1:" + dns_port_ +
                                                    "\"]}\n" + body);
  }
  /// A questions the DNS server saw for `name`.
  int asked(const std::string& name) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(std::stoi(dns_port_)));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const std::string q = "count " + name;
    ::sendto(fd, q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
    char buf[32];
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    ::close(fd);
    return n > 0 ? std::stoi(std::string(buf, static_cast<std::size_t>(n))) : -1;
  }
  ts::process dns_{{"/usr/bin/python3", DNS_SERVER_SCRIPT}};
  std::string dns_port_;
};

TEST_F(ResolvedByName, RequestsReachTheTargetByNameAskingTheServerOncePerHubThread) {
  // No keep-alive: every request opens a connection, and so would resolve without a cache.
  const auto file = scenario_for("shop.test", R"(load: {users: 20, spawn_rate: 200, run_time: 2s}
users:
  - wait: {constant: 5ms}
    tasks: [{get: /items, headers: {Connection: close}}]
)");
  const auto dir = file.substr(0, file.rfind('/'));
  const auto r =
      ts::run_process({binary, "run", file, "--threads", "2", "-q", "--json", dir + "/s.json"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const auto s = nlohmann::json::parse(ts::read_file(dir + "/s.json"));
  const auto total = s["totals"]["requests"].get<std::uint64_t>();
  EXPECT_GT(total, 40u);
  EXPECT_EQ(total, served());
  EXPECT_EQ(s["totals"]["failures"], 0) << s["errors"].dump();
  const int questions = asked("shop.test");
  EXPECT_GE(questions, 1);
  EXPECT_LE(questions, 2) << "one lookup per hub thread, shared and cached";
}

TEST_F(ResolvedByName, ANameThatDoesNotExistFailsEachRequestWithTheResolversReason) {
  const auto file = scenario_for("nx.test", R"(load: {users: 2, spawn_rate: 100, run_time: 1s}
users: [{wait: {constant: 50ms}, tasks: [{get: /}]}]
)");
  const auto dir = file.substr(0, file.rfind('/'));
  const auto r = ts::run_process({binary, "run", file, "-q", "--json", dir + "/s.json"});
  ASSERT_EQ(r.code, 1) << "requests failed and no threshold was set: " << r.err;
  const auto s = nlohmann::json::parse(ts::read_file(dir + "/s.json"));
  ASSERT_EQ(s["errors"].size(), 1u) << s.dump();
  const std::string error = s["errors"][0]["error"];
  EXPECT_EQ(error, "resolve: resolve nx.test: Domain name not found");
  EXPECT_EQ(s["totals"]["requests"], s["totals"]["failures"]);
  EXPECT_EQ(served(), 0u);
}

TEST_F(ResolvedByName, ASilentNameServerIsAResolveFailureNotAConnectTimeout) {
  const auto file = scenario_for("silent.test", R"(load: {users: 1, spawn_rate: 100, run_time: 1s}
http: {connect_timeout: 200ms}
users: [{tasks: [{get: /}]}]
)");
  const auto dir = file.substr(0, file.rfind('/'));
  const auto r = ts::run_process({binary, "run", file, "-q", "--json", dir + "/s.json"});
  ASSERT_EQ(r.code, 1) << r.err;
  const auto s = nlohmann::json::parse(ts::read_file(dir + "/s.json"));
  ASSERT_EQ(s["errors"].size(), 1u) << s.dump();
  EXPECT_EQ(s["errors"][0]["error"],
            "resolve: resolve silent.test: no answer from the name servers in time");
}

}  // namespace
