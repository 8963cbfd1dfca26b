#pragma once
// The run's reports: CSV files in Locust's --csv layout (PREFIX_stats.csv, PREFIX_failures.csv,
// PREFIX_exceptions.csv, PREFIX_stats_history.csv) and a JSON summary. Written as the test goes
// (see live_reports) and once more at its end.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "aggregator.hpp"
#include "common/config/scenario.hpp"

namespace swarmlet::master {

struct threshold_result {
  std::string text;
  double observed = 0;        ///< ms for times
  std::string observed_text;  ///< with its unit: "95.5us", "12.3ms", "480.00/s"
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
  std::string observed_text;
};

/// A data file with `order: unique`: how many of its rows the test used.
struct data_usage {
  std::string user_class;
  std::string file;
  std::uint64_t rows = 0;
  std::uint64_t used = 0;
};

/// Something that happened to a worker during the test, for the reports: it went missing
/// (silent beats: its users were spread over the others), left (said goodbye), rejoined (came
/// back and took its share again), re-registered (it had stopped its own users, hearing no
/// master, while the master still counted it), joined (first seen after the start), or was
/// lost (missing at the end of the test: its last numbers never came).
struct worker_event {
  double at_s = 0;  ///< seconds into the test
  std::int64_t unix_time = 0;
  std::string worker;
  int index = -1;  ///< its ${worker_index} then (-1: it had none yet)
  std::string event;
  /// Users spread over the other workers (missing, left) or given to this one (the others;
  /// none for "restarted", which a joined or re-registered event follows).
  int users_moved = 0;
};

struct run_summary {
  std::string scenario_file;
  /// The scenario was posted through the API: scenario_file (the master's) is not where it came
  /// from, and the reports name no file.
  bool scenario_posted = false;
  std::string target;
  double duration_s = 0;
  /// The seconds the totals cover, which every rate divides by: the run's duration, or (as
  /// Locust) the time since the stats were last reset.
  double counted_s = 0;
  std::int64_t started_unix = 0;
  int peak_users = 0;     ///< the most users the workers reported running at once
  bool complete = false;  ///< the test has ended: these are its final numbers
  std::vector<threshold_result> thresholds;
  std::uint64_t bad_frames = 0;         ///< distributed: frames dropped by the decoder
  std::uint64_t rejected_stats = 0;     ///< distributed: reports from unknown workers or other runs
  std::vector<data_usage> unique_data;  ///< rows used of each `order: unique` data file
  std::vector<worker_event> worker_events;  ///< in the order they happened

  /// What the user should know about the numbers (names beyond the cap, ...), each once.
  std::vector<std::string> warnings;
  /// main.lua's setup() failed ("main.lua:12: ..."): the test did not start. Empty: it did not.
  std::string setup_error;
  /// Set when a threshold with abort_on_fail broke during the run and stopped the test.
  std::optional<test_abort> aborted;
  /// Without thresholds, whether a failed request fails the test, as it fails Locust's exit
  /// code (false with --exit-code-on-error 0).
  bool failures_fail = true;
  std::uint64_t failed_requests = 0;  ///< at the end
  /// Errors scripts raised, at the end (the rows of stats::script_error_method): not requests,
  /// but without thresholds they fail the test as failed requests do (Locust's exceptions).
  std::uint64_t script_errors = 0;
  /// The verdict the exit code gives: setup() ran, no threshold aborted the test, and every
  /// threshold held; without thresholds, no request failed and no script raised an error
  /// (unless failures_fail is false).
  bool passed() const;
  /// What failed, for a verdict: "3 requests failed", "1 script error", or both joined by
  /// "and"; empty when nothing did.
  std::string failures_text() const;
};

/// The CSV files' contents (also the web API's downloads).
std::string stats_csv(const aggregator& a, const run_summary& run);
std::string failures_csv(const aggregator& a);
/// Locust's Count,Message,Traceback,Nodes (the workers that saw it, comma-separated), the most
/// frequent first; only the header until users raise exceptions.
std::string exceptions_csv(const aggregator& a);
/// The workers that saw an exception, comma-separated: the "Nodes" column.
std::string exception_nodes(const exception_record& e);
/// [{count, message, traceback, workers: [...]}], the most frequent first: the JSON summary's
/// "exceptions" and the API's /api/exceptions.
nlohmann::json exceptions_json(const aggregator& a);
/// The whole history, an Aggregated row per interval.
std::string history_csv(const aggregator& a);
/// The history's header line.
std::string history_header();
/// The rows of the interval that just closed (aggregator::tick): a row per name first when
/// `per_name` (Locust's --csv-full-history), then the Aggregated row.
std::string history_rows(const aggregator& a, bool per_name);

/// The CSV files of PREFIX that are rewritten whole: PREFIX_stats.csv, PREFIX_failures.csv and
/// PREFIX_exceptions.csv (live_reports appends PREFIX_stats_history.csv).
std::vector<std::string> rewritten_csv_files(const std::string& prefix);
/// Writes PREFIX_stats.csv, PREFIX_failures.csv and PREFIX_exceptions.csv, each atomically
/// (directories are made). Throws std::runtime_error naming the file it could not write.
void write_csv_reports(const std::string& prefix, const aggregator& a, const run_summary& run);
/// While the test runs (run.complete false), "passed" is null: nothing has been judged.
nlohmann::json summary_json(const aggregator& a, const run_summary& run);
/// Writes the JSON summary atomically. Throws std::runtime_error naming the file.
void write_json_report(const std::string& file, const aggregator& a, const run_summary& run);

}  // namespace swarmlet::master
