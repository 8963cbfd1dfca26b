#include "hub_strain_watch.hpp"

#include <fmt/format.h>

namespace swarmlet::master {

std::optional<std::string> hub_strain_watch::observe(const std::string& worker,
                                                     const proto::hub_strain& hubs) {
  const bool saturated = hubs.busiest_cpu_percent > saturated_cpu_percent;
  const bool blocked = hubs.blocked_ms >= blocked_ms;
  if ((!saturated && !blocked) || !named_.insert(worker).second) return std::nullopt;
  std::string what;
  if (saturated)
    what = fmt::format("hub thread {} used {:.0f}% of a CPU core", hubs.busiest_thread,
                       hubs.busiest_cpu_percent);
  if (saturated && blocked) what += " and ";
  if (blocked)
    what += fmt::format("hub thread {} ran {:.0f} ms at a stretch without polling its sockets",
                        hubs.blocked_thread, hubs.blocked_ms);
  const bool one_thread = !saturated || !blocked || hubs.busiest_thread == hubs.blocked_thread;
  return fmt::format(
      "worker {}: {}: response times measured on {} include the generator's own delay, not "
      "only the target's (its users' work, e.g. a script computing; give it more hub threads or "
      "workers, or its users less to compute)",
      worker, what, one_thread ? "that thread" : "those threads");
}

}  // namespace swarmlet::master
