#pragma once
// Whether a worker's generator delayed its own measurements: a hub thread that used most of its
// core (Locust's "CPU usage above 90%! ... may even give inconsistent response time
// measurements"), or whose loop its users' work kept from polling for long (gevent's monitor:
// a greenlet blocking the loop 0.1 s), adds that delay to every response time it measures,
// as the target's. Judged report by report (proto::hub_strain), each worker named once until
// it recovers, as Locust does.
#include <optional>
#include <set>
#include <string>

#include "proto/messages.hpp"

namespace swarmlet::master {

class hub_strain_watch {
 public:
  /// A hub thread over this share of its core is saturated (Locust's threshold).
  static constexpr double saturated_cpu_percent = 90;
  /// A loop kept from polling this long by its own thread's work delays what it measures.
  static constexpr double blocked_ms = 100;
  /// A worker named is named again only after a report with every hub thread under this...
  static constexpr double recovered_cpu_percent = 70;
  /// ...and no loop kept from polling this long.
  static constexpr double recovered_blocked_ms = 50;

  /// The warning that `worker`'s report saying `hubs` calls for, or none: none while it is
  /// within bounds, and none for a worker named already that has not recovered since.
  std::optional<std::string> observe(const std::string& worker, const proto::hub_strain& hubs);

 private:
  std::set<std::string> named_;  ///< workers warned of and not recovered since
};

}  // namespace swarmlet::master
