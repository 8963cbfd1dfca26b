#include "port_range_warning.hpp"

namespace swarmlet::worker {

std::optional<std::string> port_range_warning(std::uint64_t users, const green::port_range& range) {
  const std::uint64_t ports = range.size();
  const std::uint64_t half = ports / 2;
  if (users <= half) return std::nullopt;
  return std::to_string(users) +
         " users, each with a connection of its own, take more than half of the local port "
         "range (net.ipv4.ip_local_port_range " +
         std::to_string(range.first) + "-" + std::to_string(range.last) + ", " +
         std::to_string(ports) + " ports): past " + std::to_string(half) +
         " connections to one address Linux scans the range on every connect, stalling a hub "
         "thread for 100 ms and more (response times then include the generator's own delay), "
         "and past " +
         std::to_string(ports) +
         " connects fail; widen the range (sysctl -w net.ipv4.ip_local_port_range=\"1024 "
         "65535\") or spread the users over more machines";
}

}  // namespace swarmlet::worker
