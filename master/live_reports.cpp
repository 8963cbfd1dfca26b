#include "live_reports.hpp"

namespace swarmlet::master {

live_reports::live_reports(const config::report_spec& report, live_report_options options)
    : report_(report), options_(options) {
  if (report_.csv_prefix.empty()) return;
  history_.emplace(report_.csv_prefix + "_stats_history.csv");
  history_->append(history_header());
  const aggregator none;
  write_file_atomically(report_.csv_prefix + "_exceptions.csv", exceptions_csv(none));
}

void live_reports::tick(const aggregator& a, const run_summary& run,
                        std::chrono::steady_clock::duration elapsed) {
  if (history_) history_->append(history_rows(a, options_.csv_full_history));
  if (next_rewrite_ && elapsed < *next_rewrite_) return;
  next_rewrite_ = elapsed + options_.rewrite_interval;
  rewrite(a, run);
}

void live_reports::finish(const aggregator& a) {
  if (history_) history_->append(history_rows(a, options_.csv_full_history));
}

void live_reports::rewrite(const aggregator& a, const run_summary& run) {
  if (!report_.csv_prefix.empty()) write_csv_reports(report_.csv_prefix, a, run);
  if (!report_.json_file.empty()) write_json_report(report_.json_file, a, run);
}

}  // namespace swarmlet::master
