#include "web_api.hpp"

#include <fmt/format.h>

#include "prometheus.hpp"
#include "reports.hpp"

namespace swarmlet::master {
namespace {

void json(http::response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.headers.add("Content-Type", "application/json");
  res.body = body.dump();
}

void error(http::response& res, int status, const std::string& message) { json(res, status, {{"error", message}}); }

nlohmann::json entry_json(const stats::request_stats& s, std::pair<double, double> rates) {
  nlohmann::json p = nlohmann::json::object();
  for (double q : {0.5, 0.66, 0.75, 0.8, 0.9, 0.95, 0.98, 0.99, 0.999, 1.0}) p[fmt::format("{}", q * 100)] = s.percentile_ms(q);
  return {{"requests", s.requests},       {"failures", s.failures},     {"avg_ms", s.average_ms()},
          {"min_ms", s.min_ms()},         {"max_ms", s.max_ms()},       {"avg_content_bytes", s.average_bytes()},
          {"current_rps", rates.first},   {"current_fail_per_s", rates.second},
          {"dropped_iterations", s.dropped}, {"percentiles_ms", p}};
}

}  // namespace

web_api::web_api(test_runner& runner, std::function<nlohmann::json()> workers, web_options options)
    : runner_(runner), workers_(std::move(workers)), options_(std::move(options)) {}

void web_api::handle(const http::request& req, http::response& res) {
  if (!options_.bearer_token.empty()) {
    const auto auth = req.headers.get("authorization");
    if (!auth || *auth != "Bearer " + options_.bearer_token) {
      res.headers.add("WWW-Authenticate", "Bearer");
      error(res, 401, "missing or wrong bearer token");
      return;
    }
  }
  const std::string path = req.target.substr(0, req.target.find('?'));
  const auto& a = runner_.results();
  const bool get = req.method == "GET" || req.method == "HEAD";
  auto only = [&](bool ok, const char* allowed) {
    if (ok) return true;
    res.headers.add("Allow", allowed);
    error(res, 405, "use " + std::string(allowed) + " for " + path);
    return false;
  };
  if (path == "/metrics") {
    if (!only(get, "GET")) return;
    metrics_context ctx{a.users(), static_cast<int>(workers_().size()), runner_.running()};
    res.status = 200;
    res.headers.add("Content-Type", "text/plain; version=0.0.4");
    res.body = prometheus_metrics(a, ctx);
  } else if (path == "/api/stats") {
    if (!only(get, "GET")) return;
    nlohmann::json entries = nlohmann::json::array();
    for (const auto& [k, s] : a.totals().entries()) {
      auto j = entry_json(s, a.current_rates(&k));
      j["method"] = k.method;
      j["name"] = k.name;
      entries.push_back(std::move(j));
    }
    json(res, 200, {{"state", runner_.running() ? "running" : "stopped"},
                    {"run_id", std::to_string(runner_.run_id())},
                    {"users", a.users()},
                    {"stats", entries},
                    {"total", entry_json(a.totals().total(), a.current_rates(nullptr))}});
  } else if (path == "/api/failures") {
    if (!only(get, "GET")) return;
    nlohmann::json out = nlohmann::json::array();
    for (const auto& [k, n] : a.totals().errors())
      out.push_back({{"method", k.method}, {"name", k.name}, {"error", k.message}, {"occurrences", n}});
    json(res, 200, out);
  } else if (path == "/api/history") {
    if (!only(get, "GET")) return;
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : a.history())
      out.push_back({{"time", r.unix_time}, {"users", r.users}, {"rps", r.rps}, {"fail_per_s", r.fails_per_s},
                     {"p50_ms", r.window.percentile_ms(0.5)}, {"p95_ms", r.window.percentile_ms(0.95)},
                     {"p99_ms", r.window.percentile_ms(0.99)}});
    json(res, 200, out);
  } else if (path == "/api/workers") {
    if (!only(get, "GET")) return;
    json(res, 200, workers_());
  } else if (path == "/api/report.json") {
    if (!only(get, "GET")) return;
    json(res, 200, summary_json(a, runner_.summary()));
  } else if (path == "/api/stop") {
    if (!only(req.method == "POST", "POST")) return;
    runner_.request_stop();
    json(res, 202, {{"stopping", true}});
  } else if (path == "/api/swarm") {
    if (!only(req.method == "POST", "POST")) return;
    const auto body = nlohmann::json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("users") || !body["users"].is_number_integer() ||
        body["users"].get<long long>() < 0 || body["users"].get<long long>() > 10'000'000 ||
        (body.contains("spawn_rate") && (!body["spawn_rate"].is_number() || !(body["spawn_rate"].get<double>() > 0)))) {
      error(res, 400, "POST a JSON object {\"users\": N, \"spawn_rate\": R} (N >= 0, R > 0)");
      return;
    }
    if (!runner_.running()) {
      error(res, 409, "no test is running");
      return;
    }
    const int users = static_cast<int>(body["users"].get<long long>());
    const double rate = body.value("spawn_rate", 1.0);
    if (!runner_.change_users(users, rate)) {
      error(res, 409, "the open model takes no user count: change its rate in the scenario");
      return;
    }
    json(res, 202, {{"users", users}, {"spawn_rate", rate}});
  } else {
    error(res, 404, "no such route: " + path);
  }
}

}  // namespace swarmlet::master
