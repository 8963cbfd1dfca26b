#pragma once
// Pass/fail criteria evaluated on the final totals: "p95 < 250ms", "fail_ratio < 0.01",
// "avg <= 100ms", "max < 2s", "rps > 500", "requests >= 1000", "failures == 0"; k6's spelling
// of the times too ("p(95) < 250ms", "p(99.9) < 1s", "med < 100ms"). On every request, or (k6's
// thresholds on a tag) on the requests of one name, optionally of one method. With
// abort_on_fail (k6's abortOnFail), also judged on the live totals during the run.
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "common/stats/request_stats.hpp"
#include "common/stats/stats_table.hpp"

namespace swarmlet::config {

struct threshold {
  /// script_errors: errors scripts raised (rows of stats::script_error_method), which are not
  /// requests: no other metric judges them unless its `method` names them.
  enum class metric {
    percentile,
    avg,
    min,
    max,
    fail_ratio,
    rps,
    requests,
    failures,
    script_errors
  };
  enum class comparison { less, less_equal, greater, greater_equal, equal, not_equal };
  std::string text;
  metric what = metric::avg;
  double quantile = 0;  ///< for percentile: 0.95 for p95 and p(95), 0.5 for med
  comparison op = comparison::less;
  double limit = 0;            ///< ms for times, a ratio, requests/s or a count
  std::string name;            ///< judge only the requests of this name (empty: every request)
  std::string method;          ///< with a name: only this method (empty: any)
  bool abort_on_fail = false;  ///< stop the test as soon as the live totals break it
  std::chrono::microseconds delay{0};  ///< abort_on_fail: not judged before this much of the test

  /// The observed value (ms for times), from totals and the run's duration in seconds.
  double observed(const stats::request_stats& totals, double seconds) const;
  bool holds(const stats::request_stats& totals, double seconds) const;
  /// Whether an observed value is within the limit.
  bool passes(double observed_value) const;
  /// An observed value as people read it: times with their unit ("95.5us", "12.3ms"), rates
  /// per second, ratios and counts in plain digits (never 1.2e-05).
  std::string observed_text(double observed_value) const;

  struct outcome {
    double observed = 0;
    bool passed = false;
    std::uint64_t requests = 0;   ///< how many requests were judged
    bool nothing_judged = false;  ///< no request to judge: failed for that (a typo, no traffic)
  };
  /// Judges a run's table: every request, or the named ones merged. A named threshold whose
  /// name saw no request fails: a typo must not pass quietly. script_errors judges the rows of
  /// script errors (of that name, if named), and none is a count of 0, not nothing to judge.
  outcome judge(const stats::stats_table& table, double seconds) const;

  /// During the run, `seconds` into it: the outcome when this abort_on_fail threshold is broken
  /// on the live table and the test should stop now; nullopt while it is not (or not yet
  /// judged: before its delay, or while none of its requests has been seen). A count or an
  /// extreme that can still come within the limit by the end ("requests >= 1000", "min > 1ms")
  /// is broken only once it never can ("failures == 0" once one failed). Rates divide by
  /// `counted_seconds`, the time the table covers (shorter than `seconds` after a reset), and
  /// the delay runs again from a reset.
  std::optional<outcome> breaks_live(const stats::stats_table& table, double seconds,
                                     double counted_seconds) const;
  std::optional<outcome> breaks_live(const stats::stats_table& table, double seconds) const {
    return breaks_live(table, seconds, seconds);
  }
};

/// A threshold that does not parse: what() says what was wrong and what is accepted.
class threshold_error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// Parses one threshold; throws threshold_error saying what was expected, e.g. "write 200ms"
/// for a time without a unit. With a name, its text reads "[METHOD ]NAME: CHECK".
threshold parse_threshold(const std::string& text, const std::string& name = "",
                          const std::string& method = "");

}  // namespace swarmlet::config
