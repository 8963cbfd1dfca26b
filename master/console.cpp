#include "console.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "printable_text.hpp"
#include "report_quantiles.hpp"

namespace swarmlet::master {
namespace {

/// `s` (a name a worker sent, a check's regex with a newline) on one line of the console,
/// escaped as printable() does, at most `n` bytes.
std::string clip(const std::string& s, std::size_t n) {
  std::string p = printable(s);
  return p.size() <= n ? p : p.substr(0, n - 3) + "...";
}

/// Milliseconds as Locust prints them, but with decimals below 10 ms (fast targets are common).
std::string ms(double v) {
  return v < 10 ? fmt::format("{:.2f}", v) : fmt::format("{:.0f}", v);
}

}  // namespace

std::string format_stats_table(const aggregator& a, std::optional<double> run_seconds) {
  std::string out =
      fmt::format("{:<8} {:<40} {:>9} {:>16} | {:>8} {:>8} {:>8} {:>8} | {:>9} {:>10}\n", "Type",
                  "Name", "# reqs", "# fails", "Avg", "Min", "Max", "Med", "req/s", "failures/s");
  out += std::string(out.size() - 1, '-') + "\n";
  auto row = [&](const std::string& type, const std::string& name, const stats::request_stats& s,
                 std::pair<double, double> rates) {
    out += fmt::format("{:<8} {:<40} {:>9} {:>16} | {:>8} {:>8} {:>8} {:>8} | {:>9.2f} {:>10.2f}\n",
                       printable(type), clip(name, 40), s.requests,
                       fmt::format("{}({:.2f}%)", s.failures, 100.0 * s.fail_ratio()),
                       ms(s.average_ms()), ms(s.min_ms()), ms(s.max_ms()), ms(s.percentile_ms(0.5)),
                       rates.first, rates.second);
  };
  auto rates = [&](const stats::request_stats& s, const stats::request_key* key) {
    if (!run_seconds) return a.current_rates(key);
    if (*run_seconds <= 0) return std::pair<double, double>{0, 0};
    return std::pair<double, double>{static_cast<double>(s.requests) / *run_seconds,
                                     static_cast<double>(s.failures) / *run_seconds};
  };
  const auto& entries = a.totals().entries();
  for (const auto& [key, s] : entries)
    if (!stats::stats_table::is_script_error(key)) row(key.method, key.name, s, rates(s, &key));
  const std::string line = std::string(out.find('\n'), '-') + "\n";
  out += line;
  row("", "Aggregated", a.totals().total(), rates(a.totals().total(), nullptr));
  // Below the requests' total, which they are not in (a task that failed before sending
  // anything would lower its percentiles and raise its rate).
  if (!a.totals().script_errors().empty()) {
    out += line + "Script errors (not requests: not in Aggregated)\n";
    for (const auto& [key, s] : entries)
      if (stats::stats_table::is_script_error(key)) row(key.method, key.name, s, rates(s, &key));
  }
  return out;
}

std::string format_percentiles_table(const stats::stats_table& t) {
  std::string out = "Response time percentiles (ms)\n";
  out += fmt::format("{:<8} {:<40}", "Type", "Name");
  for (double q : report_quantiles) out += fmt::format(" {:>7}", quantile_label(q) + "%");
  out += fmt::format(" {:>9}\n", "# reqs");
  auto row = [&](const std::string& type, const std::string& name, const stats::request_stats& s) {
    out += fmt::format("{:<8} {:<40}", printable(type), clip(name, 40));
    for (double q : report_quantiles) out += fmt::format(" {:>7}", ms(s.percentile_ms(q)));
    out += fmt::format(" {:>9}\n", s.requests);
  };
  // Script errors' durations (time to the error) are no response times: not in this table.
  for (const auto& [key, s] : t.entries())
    if (!stats::stats_table::is_script_error(key)) row(key.method, key.name, s);
  row("", "Aggregated", t.total());
  return out;
}

std::string format_open_model(const stats::stats_table& t, bool rows_ran_out) {
  if (!t.scheduled()) return {};
  std::string out =
      "Open model: response times count from each iteration's intended start; service times are "
      "the requests' own\n";
  out += fmt::format("{:<8} {:<40} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}\n", "Type", "Name",
                     "dropped", "resp p50", "resp p99", "svc p50", "svc p99", "svc max");
  for (const auto& [key, s] : t.entries())
    out += fmt::format("{:<8} {:<40} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}\n", printable(key.method),
                       clip(key.name, 40), s.dropped, ms(s.percentile_ms(0.5)),
                       ms(s.percentile_ms(0.99)), ms(s.service_percentile_ms(0.5)),
                       ms(s.service_percentile_ms(0.99)), ms(s.service_percentile_ms(1.0)));
  const auto& lag = t.lag();
  out += fmt::format("{} iterations dropped ({})\n", t.dropped(),
                     rows_ran_out ? "no idle user: raise max_users; or no unique data row was left"
                                  : "no idle user: raise max_users");
  out += fmt::format("generator lag behind its schedule: p50 {} ms, p99 {} ms, max {} ms{}\n",
                     ms(lag.percentile_ms(0.5)), ms(lag.percentile_ms(0.99)), ms(lag.max_ms()),
                     lag.percentile_ms(0.99) > 1.0
                         ? " (the generator, not only the target, shaped these numbers)"
                         : "");
  return out;
}

std::string format_errors_table(const stats::stats_table& t, std::size_t most) {
  if (t.errors().empty()) return {};
  // The most frequent first (as Locust's), and only so many: messages that carry ids make
  // a row each, and a thousand of them buried the table above.
  std::vector<std::pair<const stats::error_key*, std::uint64_t>> rows;
  rows.reserve(t.errors().size());
  for (const auto& [key, n] : t.errors()) rows.emplace_back(&key, n);
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string out = "Error report\n";
  out += fmt::format("{:>14}  {}\n", "# occurrences", "Error");
  std::uint64_t rest = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& [key, n] = rows[i];
    if (i < most)
      out += fmt::format("{:>14}  {} {}: {}\n", n, printable(key->method), printable(key->name),
                         printable(key->message));
    else
      rest += n;
  }
  if (rows.size() > most)
    out += fmt::format("{:>14}  ... and {} other errors (every one is in the reports)\n", rest,
                       rows.size() - most);
  return out;
}

std::string format_worker_events(const std::vector<worker_event>& events) {
  std::string out = "Workers during the test:\n";
  for (const auto& e : events) {
    std::string what;
    // As the test stops, a worker's users are spread over no one (users_moved 0).
    const std::string spread =
        e.users_moved > 0 ? fmt::format(": its {} users spread over the others", e.users_moved)
                          : "";
    if (e.event == "missing")
      what = "missing (no heartbeat or report)" + spread;
    else if (e.event == "left")
      what = "left" + spread;
    else if (e.event == "failed")
      what = "failed: the test does not load there (see the warnings)" + spread;
    else if (e.event == "lost")
      what = "lost: still missing at the end, its last numbers never came";
    else if (e.event == "restarted")
      what = fmt::format(
          "restarted: a new process under this id; the one before is taken for gone with its "
          "users (its numbers: '{} (before its restart)')",
          e.worker);
    else
      what = fmt::format("{}: took {} users", e.event, e.users_moved);
    // A worker with no ${worker_index} (one that was missing, or never got users) is named
    // without one: QA read "(worker index -1)".
    const std::string index =
        e.index >= 0 ? fmt::format(" (worker index {})", e.index) : std::string();
    out += fmt::format("  {:>8.1f} s  {}{}  {}\n", e.at_s, e.worker, index, what);
  }
  return out;
}

}  // namespace swarmlet::master
