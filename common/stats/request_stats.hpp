#pragma once
// What is known of one (method, name) of requests: counts, response times, sizes, histogram.
// Failed requests count as requests too and their response times are recorded, as in Locust.
#include <cstdint>
#include <limits>
#include <string>

#include "latency_histogram.hpp"

namespace swarmlet::stats {

struct request_stats {
  std::uint64_t requests = 0;
  std::uint64_t failures = 0;
  std::uint64_t total_us = 0;
  std::uint64_t min_us = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t max_us = 0;
  std::uint64_t content_bytes = 0;
  latency_histogram histogram;
  // The open model: iterations that never ran (no idle user), and the raw service time of the
  // requests whose response time is measured from their intended start.
  std::uint64_t dropped = 0;
  std::uint64_t service_total_us = 0;
  latency_histogram service;

  void record(std::uint64_t response_us, std::uint64_t bytes, bool failed) noexcept {
    ++requests;
    failures += failed ? 1 : 0;
    total_us += response_us;
    if (response_us < min_us) min_us = response_us;
    if (response_us > max_us) max_us = response_us;
    content_bytes += bytes;
    histogram.record(response_us);
  }
  /// As record(), for a request measured from its intended start (`response_us`), whose own
  /// service time was `service_us`.
  void record_scheduled(std::uint64_t response_us, std::uint64_t service_us, std::uint64_t bytes,
                        bool failed) noexcept {
    record(response_us, bytes, failed);
    service_total_us += service_us;
    service.record(service_us);
  }
  void merge(const request_stats& other) noexcept;
  void clear() noexcept { *this = request_stats{}; }

  double average_ms() const noexcept { return requests ? total_us / 1000.0 / requests : 0.0; }
  double min_ms() const noexcept { return requests ? min_us / 1000.0 : 0.0; }
  double max_ms() const noexcept { return max_us / 1000.0; }
  double average_bytes() const noexcept {
    return requests ? static_cast<double>(content_bytes) / requests : 0.0;
  }
  double fail_ratio() const noexcept {
    return requests ? static_cast<double>(failures) / requests : 0.0;
  }
  /// Response time at quantile q (e.g. 0.95), in ms, clamped to the exact min and max.
  double percentile_ms(double q) const noexcept;
  /// Service time at quantile q in ms: the raw time of scheduled requests (open model), else
  /// the response time.
  double service_percentile_ms(double q) const noexcept;
  bool empty() const noexcept { return requests == 0 && dropped == 0; }
};

}  // namespace swarmlet::stats
