#include "prometheus.hpp"

#include <fmt/format.h>

#include <deque>
#include <map>
#include <utility>
#include <vector>

#include "printable_text.hpp"
#include "report_quantiles.hpp"

namespace swarmlet::master {

std::string prometheus_label(const std::string& value) {
  std::string out;
  for (char c : valid_utf8(value)) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string prometheus_metrics(const aggregator& a, const metrics_context& ctx) {
  std::string out;
  auto labels = [](const stats::request_key& k) {
    return fmt::format("method=\"{}\",name=\"{}\"", prometheus_label(k.method),
                       prometheus_label(k.name));
  };
  // A script's errors are not requests (as in the reports' Aggregated row): a series of their own.
  // Keys are grouped by their labels as written: two names that differ only in bytes that are
  // not UTF-8 (both read as U+FFFD) are one series, their numbers merged; written twice, the
  // exposition held a duplicate series and Prometheus kept one of the two.
  std::map<std::string, std::vector<const stats::request_stats*>> request_series, error_series;
  for (const auto& [k, s] : a.totals().entries()) {
    if (stats::stats_table::is_script_error(k))
      error_series[prometheus_label(k.name)].push_back(&s);
    else
      request_series[labels(k)].push_back(&s);
  }
  std::deque<stats::request_stats> merged;  // only for the series of more than one key
  std::vector<std::pair<std::string, const stats::request_stats*>> requests, errors;
  auto one_each = [&](auto& series, auto& out_list) {
    for (auto& [labels_text, parts] : series) {
      const stats::request_stats* s = parts.front();
      if (parts.size() > 1) {
        s = &merged.emplace_back();
        for (const auto* part : parts) merged.back().merge(*part);
      }
      out_list.emplace_back(std::move(labels_text), s);
    }
  };
  one_each(request_series, requests);
  one_each(error_series, errors);
  out +=
      "# HELP swarmlet_script_errors_total Errors scripts raised (not requests).\n# TYPE "
      "swarmlet_script_errors_total counter\n";
  for (const auto& [k, s] : errors)
    out += fmt::format("swarmlet_script_errors_total{{name=\"{}\"}} {}\n", k, s->failures);
  out +=
      "# HELP swarmlet_requests_total Requests completed (failed ones included).\n# TYPE "
      "swarmlet_requests_total counter\n";
  for (const auto& [k, s] : requests)
    out += fmt::format("swarmlet_requests_total{{{}}} {}\n", k, s->requests);
  out +=
      "# HELP swarmlet_failures_total Requests that failed.\n# TYPE swarmlet_failures_total "
      "counter\n";
  for (const auto& [k, s] : requests)
    out += fmt::format("swarmlet_failures_total{{{}}} {}\n", k, s->failures);
  out +=
      "# HELP swarmlet_dropped_iterations_total Open model: iterations that found no idle user.\n"
      "# TYPE swarmlet_dropped_iterations_total counter\n";
  for (const auto& [k, s] : requests)
    out += fmt::format("swarmlet_dropped_iterations_total{{{}}} {}\n", k, s->dropped);
  out +=
      "# HELP swarmlet_response_bytes_total Response body bytes received.\n# TYPE "
      "swarmlet_response_bytes_total counter\n";
  for (const auto& [k, s] : requests)
    out += fmt::format("swarmlet_response_bytes_total{{{}}} {}\n", k, s->content_bytes);
  out +=
      "# HELP swarmlet_response_time_seconds Response times since the test started.\n"
      "# TYPE swarmlet_response_time_seconds summary\n";
  for (const auto& [k, s] : requests) {
    for (double q : prometheus_quantiles) {
      out += fmt::format("swarmlet_response_time_seconds{{{},quantile=\"{}\"}} {}\n", k, q,
                         s->percentile_ms(q) / 1000.0);
    }
    out += fmt::format("swarmlet_response_time_seconds_sum{{{}}} {}\n", k, s->total_us / 1e6);
    out += fmt::format("swarmlet_response_time_seconds_count{{{}}} {}\n", k, s->requests);
  }
  // The rate now: none once the test has ended (QA: the last window's rate stayed exported
  // beside swarmlet_running 0, and a dashboard read load that no longer came).
  const auto [rps, fps] =
      ctx.running ? a.current_rates(nullptr) : std::pair<double, double>{0.0, 0.0};
  out +=
      "# HELP swarmlet_requests_per_second Current request rate over the last seconds.\n"
      "# TYPE swarmlet_requests_per_second gauge\n";
  out += fmt::format("swarmlet_requests_per_second {}\n", rps);
  out +=
      "# HELP swarmlet_failures_per_second Current failure rate over the last seconds.\n"
      "# TYPE swarmlet_failures_per_second gauge\n";
  out += fmt::format("swarmlet_failures_per_second {}\n", fps);
  out += "# HELP swarmlet_users Users running now.\n# TYPE swarmlet_users gauge\n";
  out += fmt::format("swarmlet_users {}\n", ctx.users);
  out += "# HELP swarmlet_workers Workers taking part.\n# TYPE swarmlet_workers gauge\n";
  out += fmt::format("swarmlet_workers {}\n", ctx.workers);
  out += "# HELP swarmlet_running 1 while a test runs.\n# TYPE swarmlet_running gauge\n";
  out += fmt::format("swarmlet_running {}\n", ctx.running ? 1 : 0);
  return out;
}

}  // namespace swarmlet::master
