#include "html_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "report_file.hpp"
#include "report_quantiles.hpp"

namespace swarmlet::master {
namespace {

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

struct series {
  std::string label;
  std::string color;
  std::vector<double> values;
};

/// A line chart as inline SVG: x is the history row (one a second), y from 0 to the maximum.
std::string svg_chart(const std::string& title, const std::string& unit,
                      const std::vector<double>& t, const std::vector<series>& lines) {
  constexpr double w = 720, h = 220, left = 64, bottom = 30, top = 28;
  double ymax = 0, tmax = t.empty() ? 1 : std::max(1.0, t.back());
  for (const auto& s : lines)
    for (double v : s.values) ymax = std::max(ymax, v);
  if (ymax <= 0) ymax = 1;
  std::string out = fmt::format(
      "<figure class=\"chart\"><svg viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{}\">", w, h,
      escape(title));
  out += fmt::format("<text x=\"{}\" y=\"16\" class=\"title\">{} ({})</text>", left, escape(title),
                     escape(unit));
  for (int i = 0; i <= 4; ++i) {
    const double y = top + (h - top - bottom) * i / 4.0;
    out += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\" class=\"grid\"/>",
                       left, w - 10, y, y);
    const double v = ymax * (4 - i) / 4.0;
    out += fmt::format("<text x=\"{}\" y=\"{:.1f}\" class=\"axis\" text-anchor=\"end\">{}</text>",
                       left - 6, y + 4,
                       v >= 100 ? fmt::format("{:.0f}", v) : fmt::format("{:.3g}", v));
  }
  out += fmt::format("<text x=\"{}\" y=\"{}\" class=\"axis\">0 s</text>", left, h - 8);
  out += fmt::format("<text x=\"{}\" y=\"{}\" class=\"axis\" text-anchor=\"end\">{:.0f} s</text>",
                     w - 10, h - 8, tmax);
  // Legends right-aligned on the title's line, so a long title never runs into them.
  double legend_x = w - 10 - 90.0 * static_cast<double>(lines.size());
  for (const auto& s : lines) {
    std::string points;
    for (std::size_t i = 0; i < s.values.size() && i < t.size(); ++i) {
      const double x = left + (w - 10 - left) * t[i] / tmax;
      const double y = top + (h - top - bottom) * (1 - s.values[i] / ymax);
      points += fmt::format("{:.1f},{:.1f} ", x, y);
    }
    out += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\"/>",
                       points, s.color);
    out += fmt::format("<text x=\"{:.0f}\" y=\"16\" fill=\"{}\" class=\"legend\">{}</text>",
                       legend_x, s.color, escape(s.label));
    legend_x += 90;
  }
  return out + "</svg></figure>\n";
}

/// The open model's own numbers: dropped iterations, response against service times, and the
/// generator's lag (none when no iteration ran on a schedule).
std::string open_model_section(const stats::stats_table& t) {
  if (!t.scheduled()) return {};
  const auto& lag = t.lag();
  // As the console's: QA found the dropped iterations and the lag only there and in the JSON.
  std::string out =
      "<h2>Open model</h2><p>Response times count from each iteration's intended start; service "
      "times are the requests' own.</p><table id=\"open-model\"><thead><tr><th "
      "class=l>Type</th><th class=l>Name</th><th>Dropped</th><th>Response p50 ms</th><th>Response "
      "p99 ms</th><th>Service p50 ms</th><th>Service p99 ms</th><th>Service max "
      "ms</th></tr></thead><tbody>\n";
  for (const auto& [k, e] : t.entries())
    out += fmt::format(
        "<tr><td class=l>{}</td><td "
        "class=l>{}</td><td>{}</td><td>{:.2f}</td><td>{:.2f}</td><td>{:.2f}</td><td>{:.2f}</td><td>"
        "{:.2f}</td></tr>\n",
        escape(k.method), escape(k.name), e.dropped, e.percentile_ms(0.5), e.percentile_ms(0.99),
        e.service_percentile_ms(0.5), e.service_percentile_ms(0.99), e.service_percentile_ms(1.0));
  out += fmt::format(
      "</tbody></table>\n<p id=\"dropped\">{} iterations dropped (no idle user: raise "
      "max_users).</p>\n<p id=\"generator-lag\">Generator lag behind its schedule: p50 {:.2f} ms, "
      "p99 {:.2f} ms, max {:.2f} ms{}.</p>\n",
      t.dropped(), lag.percentile_ms(0.5), lag.percentile_ms(0.99), lag.max_ms(),
      lag.percentile_ms(0.99) > 1.0 ? " (the generator, not only the target, shaped these numbers)"
                                    : "");
  return out;
}

}  // namespace

std::string html_report(const config::scenario& s, const aggregator& a, const run_summary& run) {
  std::string out = R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>swarmlet report</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f3f3f3}td.l,th.l{text-align:left}
.pass{color:#080}.fail{color:#b00;font-weight:bold}figure.chart{margin:1em 0}svg{width:720px;max-width:100%;border:1px solid #ddd}
pre{margin:0;font-size:12px}.grid{stroke:#eee}.axis{font-size:11px;fill:#666}.title{font-size:13px;font-weight:bold}.legend{font-size:12px}
</style></head><body>
)";
  const auto total = a.totals().total();
  out += "<h1>swarmlet report</h1>\n";
  std::string verdict = run.passed() ? "Every threshold held." : "A threshold was broken.";
  if (!run.setup_error.empty())
    verdict = "setup() failed: no user started.";
  else if (run.thresholds.empty())
    verdict =
        run.failures_text().empty()
            ? "No thresholds were set, and no request failed."
            : fmt::format("No thresholds were set, and {}{}.", run.failures_text(),
                          run.failures_fail ? "" : " (--exit-code-on-error 0: not a failure)");
  // Dropped iterations fail no verdict (as in k6, only a threshold on them would), but the page
  // says so where it says that no request failed.
  if (total.dropped > 0)
    verdict += fmt::format(" {} iterations were dropped (see Open model).", total.dropped);
  out += fmt::format("<p class=\"verdict {}\">{}</p>\n", run.passed() ? "pass" : "fail", verdict);
  if (run.aborted)
    out += fmt::format(
        "<p class=\"verdict fail\" id=\"aborted\">The threshold {} was broken {:.1f} s into the "
        "test (observed {}) and aborted it (abort_on_fail).</p>\n",
        escape(run.aborted->threshold), run.aborted->at_s, escape(run.aborted->observed_text));
  // What the numbers need said (the console's and the JSON's warnings): beside the verdict,
  // where it is read before the numbers (QA: the generator's own delay in the response times).
  if (!run.warnings.empty()) {
    out += "<h2>Warnings</h2><ul id=\"warnings\">";
    for (const auto& w : run.warnings) out += "<li>" + escape(w) + "</li>";
    out += "</ul>\n";
  }
  out += "<h2>Run</h2><table id=\"settings\">";
  out += fmt::format("<tr><th class=l>scenario</th><td class=l id=\"scenario\">{}</td></tr>",
                     run.scenario_posted ? "posted through the HTTP API (POST /api/start)"
                                         : escape(run.scenario_file));
  out += fmt::format("<tr><th class=l>target</th><td class=l>{}</td></tr>", escape(run.target));
  out += fmt::format("<tr><th class=l>duration</th><td class=l>{:.1f} s</td></tr>", run.duration_s);
  // After a reset (the web UI's, /api/reset) the numbers and rates are of the time since: a
  // page that gave only the duration divided them, to the eye, by the wrong span.
  if (run.counted_s > 0 && run.counted_s < run.duration_s - 0.05)
    out += fmt::format(
        "<tr><th class=l>counted</th><td class=l id=\"counted\">the last {:.1f} s (the stats "
        "were reset {:.1f} s into the test): the numbers and rates below are of that "
        "span</td></tr>",
        run.counted_s, run.duration_s - run.counted_s);
  if (s.load.arrival)
    out += fmt::format(
        "<tr><th class=l>load</th><td class=l>open model, {:g} iterations/s, at most {} "
        "users</td></tr>",
        s.load.arrival->rate, s.load.arrival->max_users);
  else
    out += fmt::format("<tr><th class=l>load</th><td class=l>{} users at peak</td></tr>",
                       run.peak_users);
  out += fmt::format("<tr><th class=l>requests</th><td class=l>{} ({} failed, {:.2f}%)</td></tr>",
                     total.requests, total.failures, 100 * total.fail_ratio());
  const auto script_errors = a.totals().script_errors();
  if (!script_errors.empty())
    out += fmt::format(
        "<tr><th class=l>script errors</th><td class=l id=\"script-errors-count\">{} (not "
        "requests: see Script errors)</td></tr>",
        script_errors.failures);
  out += "</table>\n";

  out +=
      "<h2>Requests</h2><table id=\"requests\"><thead><tr><th class=l>Type</th><th "
      "class=l>Name</th><th># reqs</th><th># fails</th>"
      "<th>Avg ms</th><th>Min ms</th><th>Max ms</th>";
  for (double q : html_table_quantiles) out += fmt::format("<th>{}%</th>", quantile_label(q));
  out += "<th>req/s</th></tr></thead><tbody>\n";
  auto row = [&](const std::string& type, const std::string& name, const stats::request_stats& e) {
    out += fmt::format(
        "<tr><td class=l>{}</td><td "
        "class=l>{}</td><td>{}</td><td>{}</td><td>{:.2f}</td><td>{:.2f}</td><td>{:.2f}</td>",
        escape(type), escape(name), e.requests, e.failures, e.average_ms(), e.min_ms(), e.max_ms());
    for (double q : html_table_quantiles) out += fmt::format("<td>{:.2f}</td>", e.percentile_ms(q));
    out +=
        fmt::format("<td>{:.2f}</td></tr>\n", run.counted_s > 0 ? e.requests / run.counted_s : 0.0);
  };
  for (const auto& [k, e] : a.totals().entries())
    if (!stats::stats_table::is_script_error(k)) row(k.method, k.name, e);
  out += "</tbody><tfoot>";
  row("", "Aggregated", total);
  out += "</tfoot></table>\n";
  if (!script_errors.empty()) {
    // Not requests (a task that failed before sending anything): apart, and not in Aggregated.
    out +=
        "<h2>Script errors</h2><table id=\"script-errors\"><thead><tr><th class=l>Type</th><th "
        "class=l>Name</th><th># errors</th><th>errors/s</th></tr></thead><tbody>\n";
    for (const auto& [k, e] : a.totals().entries())
      if (stats::stats_table::is_script_error(k))
        out += fmt::format(
            "<tr><td class=l>{}</td><td class=l>{}</td><td>{}</td><td>{:.2f}</td></tr>\n",
            escape(k.method), escape(k.name), e.failures,
            run.counted_s > 0 ? e.failures / run.counted_s : 0.0);
    out += "</tbody></table>\n";
  }
  out += open_model_section(a.totals());

  std::vector<double> t, rps, fps, p50, p95, p99, users;
  for (const auto& r : a.history().rows()) {
    t.push_back(r.elapsed_s);
    rps.push_back(r.rps);
    fps.push_back(r.fails_per_s);
    p50.push_back(r.window.percentile_ms(0.5));
    p95.push_back(r.window.percentile_ms(0.95));
    p99.push_back(r.window.percentile_ms(0.99));
    users.push_back(r.users);
  }
  out += "<h2>Over time</h2>\n";
  out += svg_chart("Requests per second", "per second", t,
                   {{"requests/s", "#1f6feb", rps}, {"failures/s", "#d1242f", fps}});
  out += svg_chart("Response time percentiles", "ms", t,
                   {{"p50", "#2da44e", p50}, {"p95", "#bf8700", p95}, {"p99", "#d1242f", p99}});
  out += svg_chart("Users", "users", t, {{"users", "#8250df", users}});

  out +=
      "<h2>Failures</h2><table id=\"failures\"><thead><tr><th class=l>Method</th><th "
      "class=l>Name</th><th class=l>Error</th><th>Occurrences</th></tr></thead><tbody>\n";
  for (const auto& [k, n] : a.totals().errors())
    out += fmt::format(
        "<tr><td class=l>{}</td><td class=l>{}</td><td class=l>{}</td><td>{}</td></tr>\n",
        escape(k.method), escape(k.name), escape(k.message), n);
  out +=
      "</tbody></table>\n<h2>Exceptions</h2><table id=\"exceptions\"><thead><tr><th>Count</th><th "
      "class=l>Message</th><th class=l>Traceback</th><th class=l>Workers</th></tr></thead>"
      "<tbody>\n";
  for (const exception_record* e : a.exceptions_by_count())
    out += fmt::format(
        "<tr><td>{}</td><td class=l>{}</td><td class=l><pre>{}</pre></td><td "
        "class=l>{}</td></tr>\n",
        e->count, escape(e->message), escape(e->traceback), escape(exception_nodes(*e)));
  out +=
      "</tbody></table>\n<h2>Workers</h2><table id=\"workers\"><thead><tr><th "
      "class=l>Worker</th><th>Reports</th><th>Lost reports</th><th>Lost requests</th><th>Final "
      "report</th></tr></thead><tbody>\n";
  for (const auto& [id, w] : a.workers())
    out += fmt::format("<tr><td class=l>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                       escape(id), w.reports, w.lost, w.lost_requests(),
                       w.final_received ? "yes" : "no");
  out +=
      "</tbody></table>\n<h2>Worker events</h2><table id=\"worker-events\"><thead><tr><th>At "
      "(s)</th><th class=l>Worker</th><th>Index</th><th class=l>Event</th><th>Users "
      "moved</th></tr></thead><tbody>\n";
  for (const auto& e : run.worker_events)
    out += fmt::format(
        "<tr><td>{:.1f}</td><td class=l>{}</td><td>{}</td><td class=l>{}</td><td>{}</td></tr>\n",
        e.at_s, escape(e.worker), e.index >= 0 ? std::to_string(e.index) : std::string(),
        escape(e.event), e.users_moved);
  out +=
      "</tbody></table>\n<h2>Thresholds</h2><table id=\"thresholds\"><thead><tr><th "
      "class=l>Threshold</th><th>Observed</th><th class=l>Verdict</th></tr></thead><tbody>\n";
  for (const auto& th : run.thresholds)
    out += fmt::format("<tr><td class=l>{}</td><td>{}</td><td class=\"l {}\">{}</td></tr>\n",
                       escape(th.text), escape(th.note.empty() ? th.observed_text : th.note),
                       th.passed ? "pass" : "fail", th.passed ? "passed" : "FAILED");
  out += "</tbody></table>\n</body></html>\n";
  return out;
}

void write_html_report(const std::string& file, const config::scenario& s, const aggregator& a,
                       const run_summary& run) {
  write_file_atomically(file, html_report(s, a, run));
}

}  // namespace swarmlet::master
