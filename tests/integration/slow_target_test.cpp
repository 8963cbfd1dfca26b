// Targets that never finish answering: one that accepts connections and says nothing, one that
// answers a byte every 100 ms. The request timeout bounds each request as a whole, so every
// request is a counted failure named "timeout", and users go on to their next request.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/process.hpp"

namespace ts = swarmlet::testing_support;
using namespace std::chrono_literals;

namespace {

const std::string binary = SWARMLET_BINARY;

/// A listening socket on 127.0.0.1: with `trickle`, each connection accepted gets a response
/// one byte every 100 ms (it would take 15 s); without, nothing is ever accepted (the kernel
/// completes the handshakes, the server never reads or writes).
class slow_server {
 public:
  explicit slow_server(bool trickle) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(fd_, 512) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      throw std::runtime_error("slow server: cannot listen");
    port_ = ntohs(a.sin_port);
    if (trickle) acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~slow_server() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    if (acceptor_.joinable()) acceptor_.join();
    for (auto& t : writers_) t.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  void accept_loop() {
    for (;;) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;  // closed: the test is over
      writers_.emplace_back([this, c] {
        const std::string response =
            "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x');
        for (char ch : response) {
          if (stop_ || ::send(c, &ch, 1, MSG_NOSIGNAL) != 1) break;
          std::this_thread::sleep_for(100ms);  // the server's pace, not a synchronisation
        }
        ::close(c);
      });
    }
  }
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::vector<std::thread> writers_;
};

nlohmann::json run_against(const slow_server& server) {
  const std::string file = ts::write_temp_file(
      "slow.yaml", "target: " + server.url() +
                       "\nload: {users: 3, spawn_rate: 100, run_time: 2s}\nhttp: {timeout: "
                       "400ms}\nusers: [{tasks: [{get: /}]}]\n");
  const std::string json = file + ".json";
  const auto r = ts::run_process(
      {binary, "run", file, "-q", "--json", json, "--exit-code-on-error", "0"}, 60s);
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  return nlohmann::json::parse(ts::read_file(json));
}

void expect_every_request_timed_out(const nlohmann::json& s) {
  const auto requests = s["totals"]["requests"].get<std::uint64_t>();
  EXPECT_GE(requests, 6u) << "each of the 3 users went on after its first timeout";
  EXPECT_EQ(s["totals"]["failures"].get<std::uint64_t>(), requests);
  ASSERT_EQ(s["errors"].size(), 1u) << s["errors"].dump();
  EXPECT_NE(s["errors"][0]["error"].get<std::string>().find("timeout"), std::string::npos)
      << s["errors"].dump();
  EXPECT_EQ(s["errors"][0]["occurrences"].get<std::uint64_t>(), requests);
}

TEST(SlowTarget, AServerThatNeverAnswersTimesOutEveryRequest) {
  slow_server silent(false);
  expect_every_request_timed_out(run_against(silent));
}

TEST(SlowTarget, AServerThatTricklesAByteAtATimeTimesOutAsAWhole) {
  slow_server trickle(true);
  expect_every_request_timed_out(run_against(trickle));
}

}  // namespace
