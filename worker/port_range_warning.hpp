#pragma once
// Warns before a ramp that the users this worker is asked for will run short of local ports
// (green/local_ports.hpp says what that costs): a user holds a connection of its own to each
// address it talks to, and the kernel gives the connections of one source address to one
// destination their local ports from net.ipv4.ip_local_port_range.
#include <cstdint>
#include <optional>
#include <string>

#include "common/green/local_ports.hpp"

namespace swarmlet::worker {

/// What to say when `users` connections to one address are more than `range` holds, or, where
/// the kernel scans half of it on every connect past that half (`scans_half`: no
/// IP_LOCAL_PORT_RANGE), more than half of it; none below that.
std::optional<std::string> port_range_warning(std::uint64_t users, const green::port_range& range,
                                              bool scans_half);

}  // namespace swarmlet::worker
