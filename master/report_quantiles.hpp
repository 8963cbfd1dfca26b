#pragma once
// The response-time quantiles the master shows, in one place. Every output shows Locust's list
// (the console, the CSV files, the JSON report and the web API) except where an output shows
// fewer on purpose; each such list is here too, named after its output, saying why.
#include <array>
#include <string>

namespace swarmlet::master {

/// Locust's quantiles (its console table and its --csv columns, which our CSV files keep
/// column for column): the console's percentiles table, the CSV files, the JSON report and the
/// API's percentiles_ms.
inline constexpr std::array<double, 11> report_quantiles = {0.5,  0.66, 0.75,  0.8,    0.9, 0.95,
                                                            0.98, 0.99, 0.999, 0.9999, 1.0};

/// The HTML report's requests table, a subset of report_quantiles: that table also shows counts,
/// average, min, max and rate per name, and is read on a page rather than processed, so it keeps
/// to round quantiles (the CSV and JSON reports hold them all).
inline constexpr std::array<double, 7> html_table_quantiles = {0.5,  0.75,  0.9, 0.95,
                                                               0.99, 0.999, 1.0};

/// The quantiles of the Prometheus summary swarmlet_response_time_seconds: each is one more time
/// series per name in the scraper's storage, and dashboards and alert rules rely on these four
/// (docs/api.md promises them).
inline constexpr std::array<double, 4> prometheus_quantiles = {0.5, 0.9, 0.95, 0.99};

/// Quantile `q` (0..1) as a percentage without the sign, as keys and column headers show it:
/// "50", "99.9", "99.99", "100".
std::string quantile_label(double q);

}  // namespace swarmlet::master
