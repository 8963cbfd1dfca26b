#pragma once
// One name's stats (or the total's) as JSON: the same fields, built in one place, in the JSON
// report and in the web API's /api/stats.
#include <nlohmann/json.hpp>

#include "common/stats/request_stats.hpp"

namespace swarmlet::master {

/// Response times in ms at each of report_quantiles, keyed by quantile_label ("50", "99.9", ...).
nlohmann::json percentiles_json(const stats::request_stats& s);
/// As percentiles_json, of the service times (stats::request_stats::service_percentile_ms).
nlohmann::json service_percentiles_json(const stats::request_stats& s);

/// What `s` holds whatever the period: requests, failures, dropped_iterations, avg_ms, min_ms,
/// max_ms, avg_content_bytes and percentiles_ms. Rates are the caller's to add, as they differ:
/// the JSON report's are over the whole run, the API's over the last seconds.
nlohmann::json request_stats_json(const stats::request_stats& s);
/// The open model's lag behind its schedule, `lag` being a table's lag():
/// {iterations, p50, p99, max} in ms.
nlohmann::json generator_lag_json(const stats::request_stats& lag);

}  // namespace swarmlet::master
