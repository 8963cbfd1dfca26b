#pragma once
// One second of the test as the history keeps it (the history CSV, the HTML charts, the web
// UI's charts): counts and the figures those reports show, not the histograms they come from.
// A row per second holding the window's and the totals' histograms grew the master by tens of
// KB a second for as long as a test ran (heaptrack: 6 of its 7 MB of heap after 4 minutes);
// the whole test's histograms are kept once, in the aggregator's totals.
#include <array>
#include <cstdint>

#include "common/stats/request_stats.hpp"
#include "report_quantiles.hpp"

namespace swarmlet::master {

/// The requests of the current window as the history shows them: their percentiles "now".
struct history_window {
  std::uint64_t requests = 0;
  std::array<double, report_quantiles.size()> percentiles_ms{};  ///< at report_quantiles

  /// The figures of `s`, as its own accessors give them (the same doubles: the same output).
  static history_window of(const stats::request_stats& s) noexcept;
  /// The response time (ms) at `q`, which must be one of report_quantiles (throws
  /// std::logic_error otherwise: a chart asking for a quantile the history does not keep).
  double percentile_ms(double q) const;
};

/// Everything so far, as the history's "Total" columns show it.
struct history_totals {
  std::uint64_t requests = 0;
  std::uint64_t failures = 0;
  double median_ms = 0;
  double average_ms = 0;
  double min_ms = 0;
  double max_ms = 0;
  double average_bytes = 0;

  /// The figures of `s`, as its own accessors give them.
  static history_totals of(const stats::request_stats& s) noexcept;
};

/// One second (interval) of the test.
struct history_row {
  std::uint64_t interval = 0;  ///< 0 for the test's first second, then one more per second
  double elapsed_s = 0;
  std::int64_t unix_time = 0;
  int users = 0;
  double rps = 0;  ///< over the current window
  double fails_per_s = 0;
  history_window window;
  history_totals total;
};

}  // namespace swarmlet::master
