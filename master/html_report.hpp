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
/// Writes it (atomically, at the end of a test: it is not rewritten while the test runs, as
/// its charts are the costliest report to draw); throws std::runtime_error naming the file.
void write_html_report(const std::string& file, const config::scenario& s, const aggregator& a,
                       const run_summary& run);

}  // namespace swarmlet::master
