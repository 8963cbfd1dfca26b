#include "port_range_warning.hpp"

namespace swarmlet::worker {

namespace {

std::string count(std::uint64_t n, const char* thing) {
  return std::to_string(n) + " " + thing + (n == 1 ? "" : "s");
}

}  // namespace

std::optional<std::string> port_range_warning(std::uint64_t users, const green::port_range& range,
                                              bool scans_half) {
  const std::uint64_t ports = range.size();
  const std::uint64_t half = ports / 2;
  if (users <= (scans_half ? half : ports)) return std::nullopt;
  std::string what = count(users, "user") + ", each with a connection of its own, take more than " +
                     (scans_half ? "half of " : "") +
                     "the local port range (net.ipv4.ip_local_port_range " +
                     green::to_string(range) + "): ";
  if (scans_half)
    what += "past " + count(half, "connection") +
            " to one address this kernel (before Linux 6.8) scans the "
            "half it tries first on every connect, stalling a hub thread for 100 ms and more "
            "(response times then include the generator's own delay), and connects fail past " +
            count(ports, "connection") + "; ";
  else
    what += "past " + count(ports, "connection") + " to one address, connects fail; ";
  // Already about as wide as it goes (1024 and up: ports below belong to services).
  if (range.first <= 1024 && range.last >= 65535)
    return what + "spread the users over more machines";
  return what +
         "widen the range (sysctl -w net.ipv4.ip_local_port_range=\"1024 65535\") or spread the "
         "users over more machines";
}

}  // namespace swarmlet::worker
