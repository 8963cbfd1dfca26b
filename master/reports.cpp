#include "reports.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace swarmlet::master {
namespace {

constexpr double csv_quantiles[] = {0.5,  0.66, 0.75,  0.8,    0.9, 0.95,
                                    0.98, 0.99, 0.999, 0.9999, 1.0};
const char* const quantile_header = "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%";

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
  for (double q : csv_quantiles) {
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

nlohmann::json stats_json(const stats::request_stats& s, double seconds) {
  nlohmann::json p = nlohmann::json::object();
  for (double q : csv_quantiles) p[fmt::format("{}", q * 100)] = s.percentile_ms(q);
  nlohmann::json service = nlohmann::json::object();
  for (double q : csv_quantiles) service[fmt::format("{}", q * 100)] = s.service_percentile_ms(q);
  return {{"requests", s.requests},
          {"failures", s.failures},
          {"dropped_iterations", s.dropped},
          {"service_percentiles_ms", service},
          {"fail_ratio", s.fail_ratio()},
          {"avg_ms", s.average_ms()},
          {"min_ms", s.min_ms()},
          {"max_ms", s.max_ms()},
          {"avg_content_bytes", s.average_bytes()},
          {"rps", seconds > 0 ? s.requests / seconds : 0.0},
          {"percentiles_ms", p}};
}

}  // namespace

bool run_summary::passed() const {
  for (const auto& t : thresholds)
    if (!t.passed) return false;
  return true;
}

std::string stats_csv(const aggregator& a, const run_summary& run) {
  std::string out =
      "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
      "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s," +
      std::string(quantile_header) + "\n";
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
  std::string out = "Timestamp,User Count,Type,Name,Requests/s,Failures/s," +
                    std::string(quantile_header) +
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
    auto j = stats_json(s, run.duration_s);
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
    thresholds.push_back(
        {{"threshold", t.text}, {"observed", t.observed}, {"passed", t.passed}, {"note", t.note}});
  nlohmann::json workers = nlohmann::json::array();
  for (const auto& [id, w] : a.workers())
    workers.push_back({{"id", id},
                       {"reports", w.reports},
                       {"lost_reports", w.lost},
                       {"final_report", w.final_received}});
  return {{"scenario", run.scenario_file},
          {"target", run.target},
          {"started_unix", run.started_unix},
          {"duration_s", run.duration_s},
          {"peak_users", run.peak_users},
          {"totals", stats_json(a.totals().total(), run.duration_s)},
          {"generator_lag_ms",
           {{"iterations", a.totals().lag().requests},
            {"p50", a.totals().lag().percentile_ms(0.5)},
            {"p99", a.totals().lag().percentile_ms(0.99)},
            {"max", a.totals().lag().max_ms()}}},
          {"requests", requests},
          {"errors", errors},
          {"thresholds", thresholds},
          {"workers", workers},
          {"rejected_reports", a.rejected() + run.rejected_stats},
          {"bad_frames", run.bad_frames},
          {"passed", run.passed()}};
}

void write_json_report(const std::string& file, const aggregator& a, const run_summary& run) {
  auto out = open_for_writing(file);
  out << summary_json(a, run).dump(2) << "\n";
}

}  // namespace swarmlet::master
