#pragma once
// Pass/fail criteria evaluated on the final totals: "p95 < 250ms", "fail_ratio < 0.01",
// "avg <= 100ms", "max < 2s", "rps > 500", "requests >= 1000", "failures == 0"; on every request,
// or (k6's thresholds on a tag) on the requests of one name, optionally of one method.
#include <cstdint>
#include <string>

#include "common/stats/request_stats.hpp"
#include "common/stats/stats_table.hpp"

namespace swarmlet::config {

struct threshold {
  enum class metric { percentile, avg, min, max, fail_ratio, rps, requests, failures };
  enum class comparison { less, less_equal, greater, greater_equal, equal };
  std::string text;
  metric what = metric::avg;
  double quantile = 0;  ///< for percentile: 0.95 for p95
  comparison op = comparison::less;
  double limit = 0;    ///< ms for times, a ratio, requests/s or a count
  std::string name;    ///< judge only the requests of this name (empty: every request)
  std::string method;  ///< with a name: only this method (empty: any)

  /// The observed value (ms for times), from totals and the run's duration in seconds.
  double observed(const stats::request_stats& totals, double seconds) const;
  bool holds(const stats::request_stats& totals, double seconds) const;
  /// Whether an observed value is within the limit.
  bool passes(double observed_value) const;

  struct outcome {
    double observed = 0;
    bool passed = false;
    std::uint64_t requests = 0;  ///< how many requests were judged
  };
  /// Judges a run's table: every request, or the named ones merged. A named threshold whose
  /// name saw no request fails: a typo must not pass quietly.
  outcome judge(const stats::stats_table& table, double seconds) const;
};

/// Parses one threshold; throws std::invalid_argument saying what was expected. With a name,
/// its text reads "[METHOD ]NAME: CHECK".
threshold parse_threshold(const std::string& text, const std::string& name = "",
                          const std::string& method = "");

}  // namespace swarmlet::config
