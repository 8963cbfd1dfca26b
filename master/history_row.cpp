#include "history_row.hpp"

#include <stdexcept>
#include <string>

namespace swarmlet::master {

history_window history_window::of(const stats::request_stats& s) noexcept {
  history_window h;
  h.requests = s.requests;
  for (std::size_t i = 0; i < report_quantiles.size(); ++i)
    h.percentiles_ms[i] = s.percentile_ms(report_quantiles[i]);
  return h;
}

double history_window::percentile_ms(double q) const {
  for (std::size_t i = 0; i < report_quantiles.size(); ++i)
    if (report_quantiles[i] == q) return percentiles_ms[i];
  throw std::logic_error("the history keeps no quantile " + std::to_string(q) +
                         ": add it to report_quantiles");
}

history_totals history_totals::of(const stats::request_stats& s) noexcept {
  history_totals h;
  h.requests = s.requests;
  h.failures = s.failures;
  h.median_ms = s.percentile_ms(0.5);
  h.average_ms = s.average_ms();
  h.min_ms = s.min_ms();
  h.max_ms = s.max_ms();
  h.average_bytes = s.average_bytes();
  return h;
}

}  // namespace swarmlet::master
