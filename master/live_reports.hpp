#pragma once
// The reports of a test written while it runs, so that a master killed mid-test (kill -9, a
// lost machine) leaves a usable report: PREFIX_stats_history.csv gains its rows at every
// interval, flushed at once; PREFIX_stats.csv, PREFIX_failures.csv, PREFIX_exceptions.csv and
// the JSON summary are rewritten whole (atomically) every few seconds. The final numbers are
// written once more at the end (write_csv_reports, write_json_report); the HTML only then.
#include <chrono>
#include <optional>

#include "aggregator.hpp"
#include "common/config/scenario.hpp"
#include "report_file.hpp"
#include "reports.hpp"

namespace swarmlet::master {

struct live_report_options {
  /// Locust's --csv-full-history: history rows per name, besides the Aggregated row.
  bool csv_full_history = false;
  /// How often the files that are rewritten whole are (the history gains rows at every tick).
  std::chrono::milliseconds rewrite_interval{std::chrono::seconds(3)};
};

class live_reports {
 public:
  /// Starts the files `report` asks for (none for what it leaves empty): the history and the
  /// exceptions begin with their headers. Throws std::runtime_error naming a file it could not
  /// write.
  live_reports(const config::report_spec& report, live_report_options options);

  /// After each aggregator::tick, `elapsed` into the test: appends that interval's history
  /// rows; rewrites the other files (from `run`, the summary so far) on the first call and
  /// then every rewrite_interval. Throws std::runtime_error naming a file it could not write.
  void tick(const aggregator& a, const run_summary& run,
            std::chrono::steady_clock::duration elapsed);
  /// After the last aggregator::tick: appends its rows. The other files are the final
  /// reports' to write.
  void finish(const aggregator& a);

 private:
  void rewrite(const aggregator& a, const run_summary& run);

  config::report_spec report_;
  live_report_options options_;
  std::optional<appending_file> history_;
  std::optional<std::chrono::steady_clock::duration> next_rewrite_;
};

}  // namespace swarmlet::master
