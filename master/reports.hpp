#pragma once
// The run's reports: CSV files in Locust's --csv layout (PREFIX_stats.csv, PREFIX_failures.csv,
// PREFIX_stats_history.csv) and a JSON summary.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "aggregator.hpp"
#include "common/config/scenario.hpp"

namespace swarmlet::master {

struct threshold_result {
  std::string text;
  double observed = 0;
  bool passed = false;
  std::string note;  ///< why there was nothing to observe, or that it aborted the test
  bool abort_on_fail = false;
  bool aborted_test = false;  ///< this threshold broke during the run and stopped the test
};

/// A threshold with abort_on_fail that the live totals broke: the test stopped there.
struct test_abort {
  std::string threshold;
  double at_s = 0;      ///< seconds into the test
  double observed = 0;  ///< the value that broke it, then
};

/// A data file with `order: unique`: how many of its rows the test used.
struct data_usage {
  std::string user_class;
  std::string file;
  std::uint64_t rows = 0;
  std::uint64_t used = 0;
};

struct run_summary {
  std::string scenario_file;
  std::string target;
  double duration_s = 0;
  std::int64_t started_unix = 0;
  int peak_users = 0;
  std::vector<threshold_result> thresholds;
  std::uint64_t bad_frames = 0;         ///< distributed: frames dropped by the decoder
  std::uint64_t rejected_stats = 0;     ///< distributed: reports from unknown workers or other runs
  std::vector<data_usage> unique_data;  ///< rows used of each `order: unique` data file

  /// Set when a threshold with abort_on_fail broke during the run and stopped the test.
  std::optional<test_abort> aborted;
  bool passed() const;
};

/// The three CSV files' contents (also the web API's downloads).
std::string stats_csv(const aggregator& a, const run_summary& run);
std::string failures_csv(const aggregator& a);
std::string history_csv(const aggregator& a);
/// Writes PREFIX_stats.csv, PREFIX_failures.csv and PREFIX_stats_history.csv (directories are
/// made). Throws std::runtime_error naming the file it could not write.
void write_csv_reports(const std::string& prefix, const aggregator& a, const run_summary& run);
nlohmann::json summary_json(const aggregator& a, const run_summary& run);
void write_json_report(const std::string& file, const aggregator& a, const run_summary& run);

}  // namespace swarmlet::master
