#include "local_ports.hpp"

#include <charconv>
#include <fstream>
#include <iterator>

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

std::string no_local_port_hint(const std::optional<port_range>& range) {
  std::string range_text;
  if (range)
    range_text = " (" + std::to_string(range->first) + "-" + std::to_string(range->last) + ", " +
                 std::to_string(range->size()) + " ports)";
  return "no local port is free for another connection to that address: widen "
         "net.ipv4.ip_local_port_range" +
         range_text +
         " (sysctl -w net.ipv4.ip_local_port_range=\"1024 65535\") or spread the users over "
         "more machines";
}

}  // namespace swarmlet::green
