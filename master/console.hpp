#pragma once
// The console as Locust users know it: a table of per-name stats while the test runs, and a
// summary with percentiles and errors at the end.
#include <optional>
#include <string>
#include <vector>

#include "aggregator.hpp"
#include "reports.hpp"

namespace swarmlet::master {

/// Per-name counts, response times and rates, with the Aggregated row. The rates are the
/// current ones (the last window) while a test runs; given the run's duration, they are the
/// whole run's, as in the reports and the `rps` thresholds (Locust's final table does the same).
std::string format_stats_table(const aggregator& a,
                               std::optional<double> run_seconds = std::nullopt);
/// The response time percentiles table.
std::string format_percentiles_table(const stats::stats_table& t);
/// The open model's figures: dropped iterations, response vs service times, generator lag;
/// empty in the closed model. `rows_ran_out`: a class's unique data rows were all handed out,
/// another reason than max_users for an iteration to find no user.
std::string format_open_model(const stats::stats_table& t, bool rows_ran_out = false);
/// The errors table ("Error report"), the `most` most frequent and a line for the rest; empty
/// when there were none.
std::string format_errors_table(const stats::stats_table& t, std::size_t most = 20);
/// What happened to workers during the test, a line each ("Workers" section of the summary).
std::string format_worker_events(const std::vector<worker_event>& events);

}  // namespace swarmlet::master
