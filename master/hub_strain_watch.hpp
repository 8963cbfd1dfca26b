#pragma once
// Whether a worker's generator delayed its own measurements: a hub thread that used most of its
// core (Locust's "CPU usage above 90%! ... may even give inconsistent response time
// measurements"), or whose loop its users' work kept from polling for long (gevent's monitor:
// a greenlet blocking the loop 0.1 s), adds that delay to every response time it measures,
// as the target's. Judged report by report (proto::hub_strain), each worker named once in a
// test, as Locust's master names a worker over its CPU threshold once (a script that computes
// now and then would otherwise fill the console and the reports with the same warning).
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

  /// The warning that `worker`'s report saying `hubs` calls for, or none: none while it is
  /// within bounds, and none for a worker named already (one watch per test).
  std::optional<std::string> observe(const std::string& worker, const proto::hub_strain& hubs);

 private:
  std::set<std::string> named_;  ///< workers warned of
};

}  // namespace swarmlet::master
