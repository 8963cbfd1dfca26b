#include "http_calls.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <regex>
#include <stdexcept>

#include "process.hpp"

namespace swarmlet::testing_support {

std::string url_in(const std::string& line) {
  std::smatch m;
  return std::regex_search(line, m, std::regex(R"(http://[0-9a-zA-Z.\-]+:\d+)")) ? m[0].str()
                                                                                 : std::string();
}

std::pair<std::string, std::string> master_ports_in(const std::string& line) {
  std::smatch m;
  std::regex re(
      R"(tcp://(?:127\.0\.0\.1|\[::1\]):(\d+) \(stats tcp://(?:127\.0\.0\.1|\[::1\]):(\d+)\))");
  if (!std::regex_search(line, m, re)) return {};
  return {m[1], m[2]};
}

namespace {

bool can_bind_loopback(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return bound;
}

/// The first port the kernel hands out to outgoing connections (and to bind(0)).
int first_ephemeral_port() {
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 32768;
  range >> low;
  return low;
}

}  // namespace

int free_loopback_port(int consecutive) {
  // Below the ephemeral range: a port taken from it may become the local end of some other
  // test's connection (or of the very connection a worker keeps retrying to it) before the
  // program given that port binds it. CI caught a master refused its port that way.
  const int low = 10000;
  const int high = first_ephemeral_port() - consecutive;
  if (high <= low) throw std::runtime_error("no room below the ephemeral port range");
  std::mt19937 pick(std::random_device{}());
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const int first = std::uniform_int_distribution<int>(low, high)(pick);
    bool all = true;
    for (int port = first; all && port < first + consecutive; ++port) all = can_bind_loopback(port);
    if (all) return first;
  }
  throw std::runtime_error("no free loopback port");
}

http_answer http_call(const std::string& method, const std::string& url, const std::string& body,
                      const std::string& content_type, const std::vector<std::string>& curl_args) {
  std::vector<std::string> args{"/usr/bin/curl", "-s", "-w", "\n%{http_code}", "-X", method};
  args.insert(args.end(), curl_args.begin(), curl_args.end());
  if (!body.empty())
    args.insert(args.end(), {"-H", "Content-Type: " + content_type, "--data-binary", body});
  args.push_back(url);
  const auto out = run_process(args).out;
  const auto nl = out.rfind('\n');
  if (nl == std::string::npos) return {0, out};
  return {std::atoi(out.c_str() + nl + 1), out.substr(0, nl)};
}

}  // namespace swarmlet::testing_support
