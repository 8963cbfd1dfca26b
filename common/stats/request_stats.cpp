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

namespace {

/// The value at `q` of `h`, within [low, high] (the extremes seen). One past what the
/// histogram tracks (71 minutes) is only known to lie between that and the highest: the
/// highest, rather than a figure under it that no request took.
std::uint64_t value_within(const latency_histogram& h, double q, std::uint64_t low,
                           std::uint64_t high, bool exact_extremes = true) noexcept {
  // The extremes are known exactly, not to a bucket's width: p(100) is the max, as in k6 (QA:
  // the middle of the max's bucket read 57.98 ms beside a max of 58.01, and `max >= 58ms` and
  // `p(100) >= 58ms` gave opposite verdicts). Only bounds (exact_extremes false): the
  // histogram's own.
  if (exact_extremes && q >= 1.0) return high;
  if (exact_extremes && q <= 0.0) return low;
  const std::uint64_t v = h.value_at_quantile(q);
  if (latency_histogram::bucket_of(v) ==
      latency_histogram::bucket_of(latency_histogram::max_trackable_us))
    return high;
  return std::clamp(v, low, high);
}

}  // namespace

double request_stats::service_percentile_ms(double q) const noexcept {
  if (service.empty()) return percentile_ms(q);
  // A service time is part of its response time: the highest response bounds it. That bound
  // is not the service max (QA: "svc max" read the response max, 207 ms, beside a p99.99 of
  // 0.67 ms): p(100) is the service histogram's own highest value.
  return value_within(service, q, 0, max_us, false) / 1000.0;
}

double request_stats::percentile_ms(double q) const noexcept {
  if (histogram.empty()) return 0.0;
  return value_within(histogram, q, min_us, max_us) / 1000.0;
}

}  // namespace swarmlet::stats
