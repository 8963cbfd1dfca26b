#pragma once
// The local ports the kernel gives outgoing connections (net.ipv4.ip_local_port_range): a
// generator holding many connections to one address runs into them long before the open-file
// limit. Linux's connect() tries the ports of one parity first (__inet_hash_connect), so once
// about half the range is held by connections to one address, every connect scans that half,
// in the hub thread: a ramp of 15,000 users to one address stalled a hub 100–400 ms at a time
// (bench/README.md, "Many connections"). Since Linux 6.8, a socket with a range of its own
// (IP_LOCAL_PORT_RANGE, an option since 6.3) is given ports from the whole range in turn
// instead; with the system's range as its own, the stalls were gone. Past the whole range,
// connect() fails with EADDRNOTAVAIL.
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
/// "32768-60999, 28232 ports", as messages name a range.
std::string to_string(const port_range& range);

/// Gives `fd` (a TCP socket about to connect) the system's range as its own, so that its port
/// comes from the whole range in turn (from Linux 6.8). False where the kernel does not take
/// the option.
bool pick_port_from_whole_range(int fd) noexcept;
/// Whether connects given the whole range pick from it, not from one half first: the kernel
/// takes IP_LOCAL_PORT_RANGE (asked once, of a socket made for the purpose) and is 6.8 or
/// later (6.3 to 6.7 take the option but keep the parity rule). A backport is taken for the
/// older rule: a warning too many, not one too few.
bool connects_pick_from_whole_range();

}  // namespace swarmlet::green
