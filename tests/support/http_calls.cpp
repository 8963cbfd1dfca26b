#include "http_calls.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
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
  std::regex re(R"(tcp://127\.0\.0\.1:(\d+) \(stats tcp://127\.0\.0\.1:(\d+)\))");
  if (!std::regex_search(line, m, re)) return {};
  return {m[1], m[2]};
}

int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("no free loopback port");
  }
  ::close(fd);
  return ntohs(a.sin_port);
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
