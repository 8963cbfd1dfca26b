#include "reports.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "report_quantiles.hpp"
#include "stats_json.hpp"

namespace swarmlet::master {
namespace {

/// "50%,66%,...,100%": the CSV files' quantile columns.
std::string quantile_header() {
  std::string out;
  for (double q : report_quantiles) {
    if (!out.empty()) out += ',';
    out += quantile_label(q) + "%";
  }
  return out;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string percentiles(const stats::request_stats& s) {
  std::string out;
  for (double q : report_quantiles) {
    if (!out.empty()) out += ',';
    out += s.requests ? fmt::format("{:.0f}", s.percentile_ms(q)) : "N/A";
  }
  return out;
}

std::ofstream open_for_writing(const std::string& file) {
  const auto parent = std::filesystem::path(file).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  std::ofstream out(file);
  if (!out) throw std::runtime_error("cannot write report file " + file);
  return out;
}

std::string stats_row(const std::string& type, const std::string& name,
                      const stats::request_stats& s, double seconds) {
  return fmt::format(
      "{},{},{},{},{},{},{},{},{},{},{},{}\n", csv_field(type), csv_field(name), s.requests,
      s.failures, s.requests ? fmt::format("{:.0f}", s.percentile_ms(0.5)) : "0", s.average_ms(),
      s.min_ms(), s.max_ms(), s.average_bytes(), seconds > 0 ? s.requests / seconds : 0.0,
      seconds > 0 ? s.failures / seconds : 0.0, percentiles(s));
}

/// The JSON report's stats of one name (or the total): rates over the whole run.
nlohmann::json report_stats_json(const stats::request_stats& s, double seconds) {
  auto j = request_stats_json(s);
  j["service_percentiles_ms"] = service_percentiles_json(s);
  j["fail_ratio"] = s.fail_ratio();
  j["rps"] = seconds > 0 ? s.requests / seconds : 0.0;
  return j;
}

}  // namespace

bool run_summary::passed() const {
  if (aborted) return false;
  for (const auto& t : thresholds)
    if (!t.passed) return false;
  return true;
}

std::string stats_csv(const aggregator& a, const run_summary& run) {
  std::string out =
      "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
      "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s," +
      quantile_header() + "\n";
  for (const auto& [key, s] : a.totals().entries())
    out += stats_row(key.method, key.name, s, run.duration_s);
  out += stats_row("", "Aggregated", a.totals().total(), run.duration_s);
  return out;
}

std::string failures_csv(const aggregator& a) {
  std::string out = "Method,Name,Error,Occurrences\n";
  for (const auto& [key, n] : a.totals().errors())
    out += fmt::format("{},{},{},{}\n", csv_field(key.method), csv_field(key.name),
                       csv_field(key.message), n);
  return out;
}

std::string history_csv(const aggregator& a) {
  std::string out = "Timestamp,User Count,Type,Name,Requests/s,Failures/s," + quantile_header() +
                    ",Total Request Count,Total Failure Count,Total Median Response Time,Total "
                    "Average Response Time,"
                    "Total Min Response Time,Total Max Response Time,Total Average Content Size\n";
  for (const auto& r : a.history()) {
    out += fmt::format(
        "{},{},,Aggregated,{:.6f},{:.6f},{},{},{},{},{},{},{},{}\n", r.unix_time, r.users, r.rps,
        r.fails_per_s, percentiles(r.window), r.total.requests, r.total.failures,
        r.total.requests ? fmt::format("{:.0f}", r.total.percentile_ms(0.5)) : "0",
        r.total.average_ms(), r.total.min_ms(), r.total.max_ms(), r.total.average_bytes());
  }
  return out;
}

void write_csv_reports(const std::string& prefix, const aggregator& a, const run_summary& run) {
  open_for_writing(prefix + "_stats.csv") << stats_csv(a, run);
  open_for_writing(prefix + "_failures.csv") << failures_csv(a);
  open_for_writing(prefix + "_stats_history.csv") << history_csv(a);
}

nlohmann::json summary_json(const aggregator& a, const run_summary& run) {
  nlohmann::json requests = nlohmann::json::array();
  for (const auto& [key, s] : a.totals().entries()) {
    auto j = report_stats_json(s, run.duration_s);
    j["method"] = key.method;
    j["name"] = key.name;
    requests.push_back(std::move(j));
  }
  nlohmann::json errors = nlohmann::json::array();
  for (const auto& [key, n] : a.totals().errors())
    errors.push_back(
        {{"method", key.method}, {"name", key.name}, {"error", key.message}, {"occurrences", n}});
  nlohmann::json thresholds = nlohmann::json::array();
  for (const auto& t : run.thresholds)
    thresholds.push_back({{"threshold", t.text},
                          {"observed", t.observed},
                          {"passed", t.passed},
                          {"note", t.note},
                          {"abort_on_fail", t.abort_on_fail},
                          {"aborted_test", t.aborted_test}});
  nlohmann::json workers = nlohmann::json::array();
  for (const auto& [id, w] : a.workers())
    workers.push_back({{"id", id},
                       {"reports", w.reports},
                       {"lost_reports", w.lost},
                       {"final_report", w.final_received}});
  nlohmann::json data = nlohmann::json::array();
  for (const auto& d : run.unique_data)
    data.push_back({{"user", d.user_class},
                    {"file", d.file},
                    {"order", "unique"},
                    {"rows", d.rows},
                    {"rows_used", d.used}});
  return {{"scenario", run.scenario_file},
          {"target", run.target},
          {"started_unix", run.started_unix},
          {"duration_s", run.duration_s},
          {"peak_users", run.peak_users},
          {"totals", report_stats_json(a.totals().total(), run.duration_s)},
          {"generator_lag_ms",
           {{"iterations", a.totals().lag().requests},
            {"p50", a.totals().lag().percentile_ms(0.5)},
            {"p99", a.totals().lag().percentile_ms(0.99)},
            {"max", a.totals().lag().max_ms()}}},
          {"requests", requests},
          {"errors", errors},
          {"thresholds", thresholds},
          {"aborted", run.aborted ? nlohmann::json{{"threshold", run.aborted->threshold},
                                                   {"at_s", run.aborted->at_s},
                                                   {"observed", run.aborted->observed}}
                                  : nlohmann::json(nullptr)},
          {"workers", workers},
          {"unique_data", data},
          {"rejected_reports", a.rejected() + run.rejected_stats},
          {"bad_frames", run.bad_frames},
          {"passed", run.passed()}};
}

void write_json_report(const std::string& file, const aggregator& a, const run_summary& run) {
  auto out = open_for_writing(file);
  out << summary_json(a, run).dump(2) << "\n";
}

}  // namespace swarmlet::master
