#include "threshold.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>

#include "common/http/ascii_text.hpp"
#include "common/stats/cut_text.hpp"
#include "duration.hpp"

namespace swarmlet::config {
namespace {

const char* const accepted =
    " (accepted: METRIC OP VALUE. Times, with a unit (250ms, 1.5s): pN or k6's p(N) for any "
    "percentile 0 < N <= 100 (p95, p(99.9)), med, avg, min, max. Plain numbers: fail_ratio (0 to "
    "1), rps, requests, failures, script_errors. OP: <, <=, >, >=, ==, !=. E.g. \"p95 < 250ms\", "
    "\"p(99) < 1s\", "
    "\"fail_ratio < 0.01\", \"rps > 100\")";

std::string trim(std::string s) {
  while (!s.empty() && s.front() == ' ') s.erase(s.begin());
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

/// The whole of `s` as a finite number, or nullopt (from_chars reads "inf" and "nan": a limit of
/// either passes or fails every run, whatever happens).
std::optional<double> number(const std::string& s) {
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v))
    return std::nullopt;
  return v;
}

/// The N of "p95", "p99.9", "p(95)" or "p( 99.9 )"; nullopt when `metric` is none of these.
std::optional<std::string> percentile_digits(const std::string& metric) {
  if (metric.size() < 2 || metric[0] != 'p') return std::nullopt;
  if (metric[1] != '(') return metric.substr(1);
  if (metric.back() != ')') return std::nullopt;
  return trim(metric.substr(2, metric.size() - 3));
}

[[noreturn]] void fail(const std::string& text, const std::string& what) {
  throw threshold_error("threshold '" + text + "': " + what + accepted);
}

/// Why `t` is decided before any request (it passes whatever happens, or never can), or
/// nothing: such a threshold, "fail_ratio < 2" or "p95 < 0ms", gives a verdict that says
/// nothing about the run.
std::optional<std::string> foregone(const threshold& t) {
  using c = threshold::comparison;
  const double lo = 0;
  const double hi =
      t.what == threshold::metric::fail_ratio ? 1.0 : std::numeric_limits<double>::infinity();
  const bool whole = t.what == threshold::metric::requests ||
                     t.what == threshold::metric::failures ||
                     t.what == threshold::metric::script_errors;
  const double v = t.limit;
  // A threshold that judged no request fails ("no request was judged"): a request count it
  // can pass on is at least 1, so "requests == 0" or "requests < 1" never passes.
  const double least = t.what == threshold::metric::requests ? 1.0 : lo;
  bool never = false, always = false;
  switch (t.op) {
    case c::less:
      never = v <= least;
      always = v > hi;
      break;
    case c::less_equal:
      never = v < least;
      always = v >= hi;
      break;
    case c::greater:
      never = v >= hi;
      always = v < lo;
      break;
    case c::greater_equal:
      never = v > hi;
      always = v <= lo;
      break;
    case c::equal:
      never = v < least || v > hi || (whole && v != std::floor(v));
      break;
    case c::not_equal:
      always = v < lo || v > hi || (whole && v != std::floor(v));
      break;
  }
  const std::string range = t.what == threshold::metric::fail_ratio ? "a fail ratio is 0 to 1"
                            : t.what == threshold::metric::requests
                                ? "a threshold that judged no request fails: its count is 1 or more"
                            : whole ? "a count is a whole number from 0"
                                    : "the value is never below 0";
  if (never) return "no run can pass it (" + range + ")";
  // A named one fails when its name saw no request: not decided before the run.
  if (always && t.name.empty()) return "every run passes it, whatever happens (" + range + ")";
  return std::nullopt;
}

}  // namespace

threshold parse_threshold(const std::string& text, const std::string& name,
                          const std::string& method) {
  threshold t;
  // Cut as the stats table cuts what it records: a longer name (a script's) is only ever seen
  // cut, and the threshold written with it in full must judge that row.
  t.name = stats::cut_text(name, stats::stats_table::max_text);
  t.method = stats::cut_text(method, stats::stats_table::max_text);
  t.text = t.name.empty() ? text : (t.method.empty() ? "" : t.method + " ") + t.name + ": " + text;
  const std::size_t op_at = text.find_first_of("<>=!");
  if (op_at == std::string::npos) fail(text, "there is no comparison");
  static constexpr std::pair<const char*, threshold::comparison> ops[] = {
      {"===", threshold::comparison::equal},  // k6's spelling
      {"==", threshold::comparison::equal},      {"!=", threshold::comparison::not_equal},
      {"<=", threshold::comparison::less_equal}, {">=", threshold::comparison::greater_equal},
      {"<", threshold::comparison::less},        {">", threshold::comparison::greater},
  };
  std::size_t op_len = 0;
  for (const auto& [spelling, op] : ops)
    if (text.compare(op_at, std::char_traits<char>::length(spelling), spelling) == 0) {
      op_len = std::char_traits<char>::length(spelling);
      t.op = op;
      break;
    }
  if (op_len == 0)
    fail(text, "'" + text.substr(op_at, 1) + "' is not a comparison (for equal, write ==)");
  const std::string metric = trim(text.substr(0, op_at));
  const std::string value = trim(text.substr(op_at + op_len));
  bool is_time = true;
  if (metric == "med") {
    t.what = threshold::metric::percentile;
    t.quantile = 0.5;
  } else if (metric == "avg") {
    t.what = threshold::metric::avg;
  } else if (metric == "min") {
    t.what = threshold::metric::min;
  } else if (metric == "max") {
    t.what = threshold::metric::max;
  } else if (const auto digits = percentile_digits(metric)) {
    const auto q = number(*digits);
    if (!q || !(*q > 0 && *q <= 100))
      fail(text, "'" + metric + "' is not a percentile like p95, p99.9 or p(95)");
    t.what = threshold::metric::percentile;
    t.quantile = *q / 100.0;
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
    else if (metric == "script_errors")
      t.what = threshold::metric::script_errors;
    else
      fail(text, metric.empty() ? "there is no metric before the comparison"
                                : "unknown metric '" + metric + "'");
  }
  if (is_time) {
    // A bare number would be read as seconds by parse_duration, and k6 reads it as ms: refuse
    // to guess.
    if (number(value))
      fail(text,
           "'" + value + "' is a time without a unit: write " + value + "ms (or " + value + "s)");
    const auto d = parse_duration(value);
    if (!d) fail(text, "'" + value + "' is not a duration like 250ms");
    t.limit = d->count() / 1000.0;
  } else {
    const auto v = number(value);
    if (!v) fail(text, "'" + value + "' is not a number");
    t.limit = *v;
  }
  if (auto why = foregone(t)) throw threshold_error("threshold '" + text + "': " + *why);
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
    case metric::script_errors:  // totals of the script errors' rows: each is a failure
      return static_cast<double>(totals.failures);
  }
  return 0;
}

threshold::outcome threshold::judge(const stats::stats_table& table, double seconds) const {
  stats::request_stats judged;
  if (what == metric::script_errors) {
    // Not requests: a run without any counts 0, which is what "script_errors == 0" asks.
    for (const auto& [key, s] : table.entries())
      if (stats::stats_table::is_script_error(key) && (name.empty() || key.name == name))
        judged.merge(s);
    const double v = observed(judged, seconds);
    return {v, passes(v), judged.requests};
  }
  if (name.empty()) {
    judged = table.total();
  } else {
    // In any case: requests are counted as GET, a script's own types as written ("grpc").
    for (const auto& [key, s] : table.entries())
      if (key.name == name && (method.empty() ? !stats::stats_table::is_script_error(key)
                                              : http::equals_ignoring_case(key.method, method)))
        judged.merge(s);  // a task named as a request is not that request
  }
  // Nothing to judge fails, named or not: a test that sent nothing does not pass its p95.
  if (judged.requests == 0) return {0, false, 0, true};
  const double v = observed(judged, seconds);
  return {v, passes(v), judged.requests};
}

std::optional<threshold::outcome> threshold::breaks_live(const stats::stats_table& table,
                                                         double seconds,
                                                         double counted_seconds) const {
  // The delay runs from where the counting did: after a reset, the rates over the first
  // instants are as wild as at the start of the test.
  const double delay_s = std::chrono::duration<double>(delay).count();
  // Nothing covered yet (the reports since a reset not in): no rate to judge.
  if (!abort_on_fail || seconds < delay_s || counted_seconds < delay_s || counted_seconds <= 0)
    return std::nullopt;
  const outcome now = judge(table, counted_seconds);
  if (now.requests == 0 || now.passed) return std::nullopt;
  // Counts and the maximum only grow, the minimum only shrinks: broken for good only when the
  // limit is already passed in the direction they move.
  const bool grows = what == metric::requests || what == metric::failures ||
                     what == metric::script_errors || what == metric::max;
  const bool shrinks = what == metric::min;
  if (grows) {
    const bool over = op == comparison::less || op == comparison::less_equal ||
                      (op == comparison::equal && now.observed > limit);
    if (!over) return std::nullopt;
  } else if (shrinks) {
    const bool under = op == comparison::greater || op == comparison::greater_equal ||
                       (op == comparison::equal && now.observed < limit);
    if (!under) return std::nullopt;
  }
  return now;
}

std::string threshold::observed_text(double v) const {
  switch (what) {
    case metric::percentile:
    case metric::avg:
    case metric::min:
    case metric::max:
      return v < 1 ? fmt::format("{:.4g}us", v * 1000) : fmt::format("{:.6g}ms", v);
    case metric::fail_ratio: {
      std::string digits = fmt::format("{:.9f}", v);  // a fail ratio is at most 1
      while (digits.back() == '0') digits.pop_back();
      if (digits.back() == '.') digits.pop_back();
      return digits;
    }
    case metric::rps:
      return fmt::format("{:.2f}/s", v);
    case metric::requests:
    case metric::failures:
    case metric::script_errors:
      return fmt::format("{:.0f}", v);
  }
  return fmt::format("{}", v);
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
    case comparison::not_equal:
      return v != limit;
  }
  return false;
}

}  // namespace swarmlet::config
