#pragma once
// Pass/fail criteria evaluated on the final totals: "p95 < 250ms", "fail_ratio < 0.01",
// "avg <= 100ms", "max < 2s", "rps > 500", "requests >= 1000", "failures == 0".
#include <string>

#include "common/stats/request_stats.hpp"

namespace swarmlet::config {

struct threshold {
  enum class metric { percentile, avg, min, max, fail_ratio, rps, requests, failures };
  enum class comparison { less, less_equal, greater, greater_equal, equal };
  std::string text;
  metric what = metric::avg;
  double quantile = 0;  ///< for percentile: 0.95 for p95
  comparison op = comparison::less;
  double limit = 0;     ///< ms for times, a ratio, requests/s or a count

  /// The observed value (ms for times), from totals and the run's duration in seconds.
  double observed(const stats::request_stats& totals, double seconds) const;
  bool holds(const stats::request_stats& totals, double seconds) const;
};

/// Parses one threshold; throws std::invalid_argument saying what was expected.
threshold parse_threshold(const std::string& text);

}  // namespace swarmlet::config
