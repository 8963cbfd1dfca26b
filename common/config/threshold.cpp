#include "threshold.hpp"

#include <charconv>
#include <stdexcept>

#include "duration.hpp"

namespace swarmlet::config {
namespace {
std::string trim(std::string s) {
  while (!s.empty() && s.front() == ' ') s.erase(s.begin());
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}
}  // namespace

threshold parse_threshold(const std::string& text, const std::string& name,
                          const std::string& method) {
  const std::string expected =
      " (expected METRIC OP VALUE, e.g. \"p95 < 250ms\", \"fail_ratio < 0.01\", \"rps > 100\"; "
      "metrics: pN, avg, min, max, fail_ratio, rps, requests, failures)";
  threshold t;
  t.text = name.empty() ? text : (method.empty() ? "" : method + " ") + name + ": " + text;
  t.name = name;
  t.method = method;
  std::size_t op_at = text.find_first_of("<>=");
  if (op_at == std::string::npos)
    throw std::invalid_argument("threshold '" + text + "' has no comparison" + expected);
  std::size_t op_len = (op_at + 1 < text.size() && text[op_at + 1] == '=') ? 2 : 1;
  const std::string op = text.substr(op_at, op_len);
  if (op == "<")
    t.op = threshold::comparison::less;
  else if (op == "<=")
    t.op = threshold::comparison::less_equal;
  else if (op == ">")
    t.op = threshold::comparison::greater;
  else if (op == ">=")
    t.op = threshold::comparison::greater_equal;
  else if (op == "==")
    t.op = threshold::comparison::equal;
  else
    throw std::invalid_argument("threshold '" + text + "': unknown comparison '" + op + "'" +
                                expected);
  const std::string metric = trim(text.substr(0, op_at));
  const std::string value = trim(text.substr(op_at + op_len));
  bool is_time = true;
  if (metric.size() > 1 && metric[0] == 'p') {
    double q = 0;
    auto [end, ec] = std::from_chars(metric.data() + 1, metric.data() + metric.size(), q);
    if (ec != std::errc() || end != metric.data() + metric.size() || q <= 0 || q > 100)
      throw std::invalid_argument("threshold '" + text + "': '" + metric +
                                  "' is not a percentile like p95" + expected);
    t.what = threshold::metric::percentile;
    t.quantile = q / 100.0;
  } else if (metric == "avg") {
    t.what = threshold::metric::avg;
  } else if (metric == "min") {
    t.what = threshold::metric::min;
  } else if (metric == "max") {
    t.what = threshold::metric::max;
  } else {
    is_time = false;
    if (metric == "fail_ratio")
      t.what = threshold::metric::fail_ratio;
    else if (metric == "rps")
      t.what = threshold::metric::rps;
    else if (metric == "requests")
      t.what = threshold::metric::requests;
    else if (metric == "failures")
      t.what = threshold::metric::failures;
    else
      throw std::invalid_argument("threshold '" + text + "': unknown metric '" + metric + "'" +
                                  expected);
  }
  if (is_time) {
    auto d = parse_duration(value);
    if (!d)
      throw std::invalid_argument("threshold '" + text + "': '" + value +
                                  "' is not a duration like 250ms" + expected);
    t.limit = d->count() / 1000.0;
  } else {
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), t.limit);
    if (ec != std::errc() || end != value.data() + value.size())
      throw std::invalid_argument("threshold '" + text + "': '" + value + "' is not a number" +
                                  expected);
  }
  return t;
}

double threshold::observed(const stats::request_stats& totals, double seconds) const {
  switch (what) {
    case metric::percentile:
      return totals.percentile_ms(quantile);
    case metric::avg:
      return totals.average_ms();
    case metric::min:
      return totals.min_ms();
    case metric::max:
      return totals.max_ms();
    case metric::fail_ratio:
      return totals.fail_ratio();
    case metric::rps:
      return seconds > 0 ? totals.requests / seconds : 0.0;
    case metric::requests:
      return static_cast<double>(totals.requests);
    case metric::failures:
      return static_cast<double>(totals.failures);
  }
  return 0;
}

threshold::outcome threshold::judge(const stats::stats_table& table, double seconds) const {
  stats::request_stats judged;
  if (name.empty()) {
    judged = table.total();
  } else {
    for (const auto& [key, s] : table.entries())
      if (key.name == name && (method.empty() || key.method == method)) judged.merge(s);
    if (judged.requests == 0) return {0, false, 0};
  }
  const double v = observed(judged, seconds);
  return {v, passes(v), judged.requests};
}

bool threshold::holds(const stats::request_stats& totals, double seconds) const {
  return passes(observed(totals, seconds));
}

bool threshold::passes(double v) const {
  switch (op) {
    case comparison::less:
      return v < limit;
    case comparison::less_equal:
      return v <= limit;
    case comparison::greater:
      return v > limit;
    case comparison::greater_equal:
      return v >= limit;
    case comparison::equal:
      return v == limit;
  }
  return false;
}

}  // namespace swarmlet::config
