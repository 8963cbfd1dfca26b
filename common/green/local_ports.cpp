#include "local_ports.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#ifndef IP_LOCAL_PORT_RANGE
#define IP_LOCAL_PORT_RANGE 51  // linux/in.h, Linux 6.3+
#endif

namespace swarmlet::green {

namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\n';
}

/// Reads an unsigned port at `at` (after blanks); false when there is none.
bool read_port(std::string_view text, std::size_t& at, unsigned& port) {
  while (at < text.size() && is_blank(text[at])) ++at;
  const char* begin = text.data() + at;
  const auto [end, ec] = std::from_chars(begin, text.data() + text.size(), port);
  if (ec != std::errc{} || end == begin || port > 65535) return false;
  at += static_cast<std::size_t>(end - begin);
  return true;
}

}  // namespace

std::optional<port_range> parse_port_range(std::string_view text) {
  std::size_t at = 0;
  port_range r;
  if (!read_port(text, at, r.first) || !read_port(text, at, r.last) || r.last < r.first)
    return std::nullopt;
  while (at < text.size() && is_blank(text[at])) ++at;
  if (at != text.size()) return std::nullopt;
  return r;
}

std::optional<port_range> local_port_range() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  if (!in) return std::nullopt;
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return parse_port_range(text);
}

std::string to_string(const port_range& range) {
  const std::size_t n = range.size();
  return std::to_string(range.first) + "-" + std::to_string(range.last) + ", " + std::to_string(n) +
         (n == 1 ? " port" : " ports");
}

bool pick_port_from_whole_range(int fd) noexcept {
  // Bounds outside the system's range leave it as it is (inet_sk_get_local_port_range): 1 and
  // 65535 give the socket the system's range, without reading it, and (6.8+) no parity rule.
  const std::uint32_t whole = (65535u << 16) | 1u;
  return ::setsockopt(fd, IPPROTO_IP, IP_LOCAL_PORT_RANGE, &whole, sizeof whole) == 0;
}

namespace {

/// Linux 6.8 or later, by uname's release ("6.18.44-...").
bool kernel_6_8_or_later() {
  utsname u{};
  int major = 0, minor = 0;
  if (::uname(&u) != 0 || std::sscanf(u.release, "%d.%d", &major, &minor) != 2) return false;
  return major > 6 || (major == 6 && minor >= 8);
}

}  // namespace

bool connects_pick_from_whole_range() {
  static const bool picks = [] {
    if (!kernel_6_8_or_later()) return false;
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0) return false;
    const bool taken = pick_port_from_whole_range(fd);
    ::close(fd);
    return taken;
  }();
  return picks;
}

}  // namespace swarmlet::green
