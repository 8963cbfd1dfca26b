#include "request_stats.hpp"

#include <algorithm>

namespace swarmlet::stats {

void request_stats::merge(const request_stats& other) noexcept {
  requests += other.requests;
  failures += other.failures;
  total_us += other.total_us;
  min_us = std::min(min_us, other.min_us);
  max_us = std::max(max_us, other.max_us);
  content_bytes += other.content_bytes;
  histogram.merge(other.histogram);
  dropped += other.dropped;
  service_total_us += other.service_total_us;
  service.merge(other.service);
}

double request_stats::service_percentile_ms(double q) const noexcept {
  if (service.empty()) return percentile_ms(q);
  return service.value_at_quantile(q) / 1000.0;
}

double request_stats::percentile_ms(double q) const noexcept {
  if (histogram.empty()) return 0.0;
  const std::uint64_t v = std::clamp(histogram.value_at_quantile(q), min_us, max_us);
  return v / 1000.0;
}

}  // namespace swarmlet::stats
