#include "reports.hpp"

#include <fmt/format.h>

#include "printable_text.hpp"
#include "report_file.hpp"
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

std::string csv_field(const std::string& text) {
  const std::string s = valid_utf8(text);
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
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
  if (aborted || !setup_error.empty()) return false;
  if (thresholds.empty()) return !failures_fail || (failed_requests == 0 && script_errors == 0);
  for (const auto& t : thresholds)
    if (!t.passed) return false;
  return true;
}

std::string run_summary::failures_text() const {
  std::string requests = failed_requests == 0 ? ""
                                              : fmt::format("{} request{} failed", failed_requests,
                                                            failed_requests == 1 ? "" : "s");
  std::string errors = script_errors == 0 ? ""
                                          : fmt::format("{} script error{}", script_errors,
                                                        script_errors == 1 ? "" : "s");
  if (requests.empty()) return errors;
  return errors.empty() ? requests : requests + " and " + errors;
}

std::string stats_csv(const aggregator& a, const run_summary& run) {
  std::string out =
      "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
      "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s," +
      quantile_header() + "\n";
  for (const auto& [key, s] : a.totals().entries())
    out += stats_row(key.method, key.name, s, run.counted_s);
  out += stats_row("", "Aggregated", a.totals().total(), run.counted_s);
  return out;
}

std::string failures_csv(const aggregator& a) {
  std::string out = "Method,Name,Error,Occurrences\n";
  for (const auto& [key, n] : a.totals().errors())
    out += fmt::format("{},{},{},{}\n", csv_field(key.method), csv_field(key.name),
                       csv_field(key.message), n);
  return out;
}

std::string exception_nodes(const exception_record& e) {
  std::string nodes;
  for (const auto& w : e.workers) nodes += (nodes.empty() ? "" : ", ") + w;
  return nodes;
}

std::string exceptions_csv(const aggregator& a) {
  std::string out = "Count,Message,Traceback,Nodes\n";
  for (const exception_record* e : a.exceptions_by_count())
    out += fmt::format("{},{},{},{}\n", e->count, csv_field(e->message), csv_field(e->traceback),
                       csv_field(exception_nodes(*e)));
  return out;
}

std::string history_header() {
  return "Timestamp,User Count,Type,Name,Requests/s,Failures/s," + quantile_header() +
         ",Total Request Count,Total Failure Count,Total Median Response Time,Total "
         "Average Response Time,Total Min Response Time,Total Max Response Time,Total Average "
         "Content Size\n";
}

namespace {

/// One history row: `now` gives the current rates and percentiles, `total` the rest.
std::string history_row_text(std::int64_t unix_time, int users, const std::string& type,
                             const std::string& name, double rps, double fails_per_s,
                             const history_window& now, const history_totals& total) {
  std::string now_percentiles;
  for (double ms : now.percentiles_ms) {
    if (!now_percentiles.empty()) now_percentiles += ',';
    now_percentiles += now.requests ? fmt::format("{:.0f}", ms) : "N/A";
  }
  return fmt::format("{},{},{},{},{:.6f},{:.6f},{},{},{},{},{},{},{},{}\n", unix_time, users,
                     csv_field(type), csv_field(name), rps, fails_per_s, now_percentiles,
                     total.requests, total.failures,
                     total.requests ? fmt::format("{:.0f}", total.median_ms) : "0",
                     total.average_ms, total.min_ms, total.max_ms, total.average_bytes);
}

std::string aggregated_history_row(const history_row& r) {
  return history_row_text(r.unix_time, r.users, "", "Aggregated", r.rps, r.fails_per_s, r.window,
                          r.total);
}

}  // namespace

std::string history_csv(const aggregator& a) {
  std::string out = history_header();
  for (const auto& r : a.history().rows()) out += aggregated_history_row(r);
  return out;
}

std::string history_rows(const aggregator& a, bool per_name) {
  if (a.history().last() == nullptr) return "";
  const history_row& last = *a.history().last();
  std::string out;
  if (per_name) {
    for (const auto& [key, total] : a.totals().entries()) {
      const auto [rps, fails] = a.current_rates(&key);
      out += history_row_text(last.unix_time, last.users, key.method, key.name, rps, fails,
                              history_window::of(a.current_window(key)), history_totals::of(total));
    }
  }
  return out + aggregated_history_row(last);
}

std::vector<std::string> rewritten_csv_files(const std::string& prefix) {
  return {prefix + "_stats.csv", prefix + "_failures.csv", prefix + "_exceptions.csv"};
}

void write_csv_reports(const std::string& prefix, const aggregator& a, const run_summary& run) {
  const auto files = rewritten_csv_files(prefix);
  write_file_atomically(files[0], stats_csv(a, run));
  write_file_atomically(files[1], failures_csv(a));
  write_file_atomically(files[2], exceptions_csv(a));
}

nlohmann::json exceptions_json(const aggregator& a) {
  nlohmann::json out = nlohmann::json::array();
  for (const exception_record* e : a.exceptions_by_count())
    out.push_back({{"count", e->count},
                   {"message", e->message},
                   {"traceback", e->traceback},
                   {"workers", e->workers}});
  return out;
}

nlohmann::json summary_json(const aggregator& a, const run_summary& run) {
  nlohmann::json requests = nlohmann::json::array();
  for (const auto& [key, s] : a.totals().entries()) {
    auto j = report_stats_json(s, run.counted_s);
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
                          {"observed_text", t.observed_text},
                          {"passed", t.passed},
                          {"note", t.note},
                          {"abort_on_fail", t.abort_on_fail},
                          {"aborted_test", t.aborted_test}});
  nlohmann::json exceptions = exceptions_json(a);
  nlohmann::json workers = nlohmann::json::array();
  for (const auto& [id, w] : a.workers())
    workers.push_back({{"id", id},
                       {"reports", w.reports},
                       {"lost_reports", w.lost},
                       {"lost_requests", w.lost_requests()},
                       {"final_report", w.final_received}});
  nlohmann::json data = nlohmann::json::array();
  for (const auto& d : run.unique_data)
    data.push_back({{"user", d.user_class},
                    {"file", d.file},
                    {"order", "unique"},
                    {"rows", d.rows},
                    {"rows_used", d.used}});
  nlohmann::json worker_events = nlohmann::json::array();
  for (const auto& e : run.worker_events)
    worker_events.push_back({{"at_s", e.at_s},
                             {"time", e.unix_time},
                             {"worker", e.worker},
                             // none (-1): it had no ${worker_index} then
                             {"index", e.index >= 0 ? nlohmann::json(e.index) : nlohmann::json()},
                             {"event", e.event},
                             {"users_moved", e.users_moved}});
  return {{"complete", run.complete},
          // A posted scenario came from no file: null, as /api/scenario's "file".
          {"scenario",
           run.scenario_posted ? nlohmann::json(nullptr) : nlohmann::json(run.scenario_file)},
          {"scenario_posted", run.scenario_posted},
          {"target", run.target},
          {"started_unix", run.started_unix},
          {"duration_s", run.duration_s},
          {"counted_s", run.counted_s},
          {"peak_users", run.peak_users},
          {"totals", report_stats_json(a.totals().total(), run.counted_s)},
          // Not requests, so not in the totals; each is a row of "requests" (method LUA).
          {"script_errors", a.totals().script_errors().failures},
          {"lost", {{"reports", a.lost_reports()}, {"requests", a.lost_requests()}}},
          {"generator_lag_ms", generator_lag_json(a.totals().lag())},
          {"http_versions",
           {{"1.1", a.totals().versions().http1_1}, {"2", a.totals().versions().http2}}},
          {"requests", requests},
          {"errors", errors},
          {"exceptions", exceptions},
          {"thresholds", thresholds},
          {"aborted", run.aborted ? nlohmann::json{{"threshold", run.aborted->threshold},
                                                   {"at_s", run.aborted->at_s},
                                                   {"observed", run.aborted->observed},
                                                   {"observed_text", run.aborted->observed_text}}
                                  : nlohmann::json(nullptr)},
          {"workers", workers},
          {"worker_events", worker_events},
          {"unique_data", data},
          {"rejected_reports", a.rejected() + run.rejected_stats},
          {"bad_frames", run.bad_frames},
          {"names", {{"max", a.max_names()}, {"folded_requests", a.folded_requests()}}},
          {"warnings", run.warnings},
          {"passed", run.complete ? nlohmann::json(run.passed()) : nlohmann::json(nullptr)}};
}

void write_json_report(const std::string& file, const aggregator& a, const run_summary& run) {
  // Names come from scenarios and workers: bytes that are not UTF-8 become U+FFFD, so the
  // report is written whatever they sent.
  write_file_atomically(
      file,
      summary_json(a, run).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

}  // namespace swarmlet::master
