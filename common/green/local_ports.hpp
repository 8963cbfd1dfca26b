#pragma once
// The local ports the kernel gives outgoing connections (net.ipv4.ip_local_port_range): a
// generator holding many connections to one address runs into it long before the open-file
// limit. Once about half the range is taken, Linux's connect() scans the half it tries first
// on every call (the ports of one parity, then the other), in the hub thread: a ramp of
// 15,000 users to one address stalled a hub 100–400 ms at a time (bench/README.md, "Many
// connections"); once all of it is taken, connect() fails with EADDRNOTAVAIL.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace swarmlet::green {

struct port_range {
  unsigned first = 0;
  unsigned last = 0;
  std::size_t size() const noexcept { return last >= first ? last - first + 1 : 0; }
};

/// "32768\t60999" as the kernel writes it; none for anything else.
std::optional<port_range> parse_port_range(std::string_view text);
/// This network namespace's range (none when it cannot be read).
std::optional<port_range> local_port_range();
/// What to tell a user whose connect() found no local port free: names the sysctl, its range
/// when known, and what to do.
std::string no_local_port_hint(const std::optional<port_range>& range);

}  // namespace swarmlet::green
