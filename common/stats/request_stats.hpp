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

  void record(std::uint64_t response_us, std::uint64_t bytes, bool failed) noexcept {
    ++requests;
    failures += failed ? 1 : 0;
    total_us += response_us;
    if (response_us < min_us) min_us = response_us;
    if (response_us > max_us) max_us = response_us;
    content_bytes += bytes;
    histogram.record(response_us);
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
};

}  // namespace swarmlet::stats
