#pragma once
// Warns before a test that the users this worker is asked for will run out of local ports
// (green/local_ports.hpp says what that costs): a user holds a connection of its own to each
// address it talks to, and the kernel gives the connections of one source address to one
// destination their local ports from net.ipv4.ip_local_port_range.
#include <cstdint>
#include <optional>
#include <string>

#include "common/green/local_ports.hpp"

namespace swarmlet::worker {

/// What to say when `users` connections to one address take more than half of `range`, which
/// is when every further connect() scans it; none below that.
std::optional<std::string> port_range_warning(std::uint64_t users, const green::port_range& range);

}  // namespace swarmlet::worker
