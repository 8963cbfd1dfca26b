#pragma once
// The run's report as one self-contained HTML file: settings, per-name table with percentiles,
// charts over time (inline SVG, drawn here: nothing to fetch, opens offline), failures, workers,
// thresholds and their verdict.
#include <string>

#include "aggregator.hpp"
#include "common/config/scenario.hpp"
#include "reports.hpp"

namespace swarmlet::master {

std::string html_report(const config::scenario& s, const aggregator& a, const run_summary& run);
/// Writes it; throws std::runtime_error naming the file it could not write.
void write_html_report(const std::string& file, const config::scenario& s, const aggregator& a,
                       const run_summary& run);

}  // namespace swarmlet::master
