#include "web_api.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <stdexcept>

#include "common/config/duration.hpp"
#include "common/config/untrusted_json.hpp"
#include "common/http/auth.hpp"
#include "common/http/query.hpp"
#include "html_report.hpp"
#include "prometheus.hpp"
#include "reports.hpp"
#include "stats_json.hpp"
#include "swarm_change.hpp"

namespace swarmlet::master {
namespace {

void json(http::response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.headers.add("Content-Type", "application/json");
  // Names and messages come from scenarios and workers: bytes that are not UTF-8 are shown as
  // U+FFFD rather than failing the answer.
  res.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void error(http::response& res, int status, const std::string& message) {
  json(res, status, {{"error", message}});
}

void download(http::response& res, std::string_view type, const std::string& filename,
              std::string body) {
  res.status = 200;
  res.headers.add("Content-Type", std::string(type));
  res.headers.add("Content-Disposition", "attachment; filename=\"" + filename + "\"");
  res.body = std::move(body);
}

/// The API's stats of one name (or the total): rates over the last seconds, as Locust's UI.
nlohmann::json api_stats_json(const stats::request_stats& s, std::pair<double, double> rates) {
  auto j = request_stats_json(s);
  j["current_rps"] = rates.first;
  j["current_fail_per_s"] = rates.second;
  return j;
}

const char* phase_name(test_runner::phase p) {
  switch (p) {
    case test_runner::phase::ready:
      return "ready";
    case test_runner::phase::running:
      return "running";
    case test_runner::phase::stopping:
      return "stopping";
    case test_runner::phase::stopped:
      return "stopped";
  }
  return "stopped";
}

/// A duration in the API: a string ("30s", "5m") or a number of seconds (1.5 is 1.5 s).
std::string duration_text(const nlohmann::json& value) {
  if (value.is_number_integer()) return std::to_string(value.get<long long>()) + "s";
  if (value.is_number()) return fmt::format("{}s", value.get<double>());
  return value.get<std::string>();
}

/// What a test will run (or runs): its target and load. The open model has a rate and a budget
/// of users, not a user count and a spawn rate (it said 1 user at 1/s: QA); stages have their
/// peak users and no one spawn rate.
nlohmann::json load_json(const config::scenario& s) {
  nlohmann::json j = {
      {"target", s.target},
      {"run_time", s.load.run_time ? config::format_duration(*s.load.run_time) : ""},
      {"stages", s.load.stages.size()},
      {"open_model", s.load.arrival.has_value()}};
  if (s.load.arrival) {
    j["arrival_rate"] = s.load.arrival->rate;
    j["max_users"] = s.load.arrival->max_users;
  } else if (!s.load.stages.empty()) {
    // The stages drive the users, each at its own rate: load.users and load.spawn_rate (1 and 1
    // when not given) do not apply. It said "users: 1" for a peak of 8 (QA).
    int peak = 0;
    for (const auto& stage : s.load.stages) peak = std::max(peak, stage.users);
    j["users"] = peak;
    j["spawn_rate"] = nullptr;
  } else {
    j["users"] = s.load.users;
    j["spawn_rate"] = s.load.spawn_rate;
  }
  return j;
}

/// A report's file name: the scenario's, without its extension.
std::string report_stem(const config::scenario& s) {
  auto name = s.file.substr(s.file.find_last_of('/') + 1);
  if (auto dot = name.rfind('.'); dot != std::string::npos && dot > 0) name.resize(dot);
  return name.empty() ? "swarmlet" : name;
}

}  // namespace

web_api::web_api(test_session& session, std::function<nlohmann::json()> workers,
                 web_options options)
    : session_(session),
      workers_(std::move(workers)),
      options_(std::move(options)),
      routes_(routes(options_.quit != nullptr)) {}

std::vector<web_api::route> web_api::routes(bool quit_offered) {
  std::vector<route> table = {
      {"GET", "/metrics", &web_api::get_metrics},
      {"GET", "/api/stats", &web_api::get_stats},
      {"GET", "/api/failures", &web_api::get_failures},
      {"GET", "/api/exceptions", &web_api::get_exceptions},
      {"GET", "/api/history", &web_api::get_history},
      {"GET", "/api/workers", &web_api::get_workers},
      {"GET", "/api/scenario", &web_api::get_scenario},
      {"GET", "/api/report.json", &web_api::get_report_json},
      {"GET", "/api/report/stats.csv", &web_api::get_stats_csv},
      {"GET", "/api/report/failures.csv", &web_api::get_failures_csv},
      {"GET", "/api/report/exceptions.csv", &web_api::get_exceptions_csv},
      {"GET", "/api/report/history.csv", &web_api::get_history_csv},
      {"GET", "/api/report.html", &web_api::get_report_html},
      {"POST", "/api/start", &web_api::post_start},
      {"POST", "/api/stop", &web_api::post_stop},
      {"POST", "/api/reset", &web_api::post_reset},
      {"POST", "/api/swarm", &web_api::post_swarm},
  };
  // Not offered, /api/quit is no route at all: 404, or a UI file of that name.
  if (quit_offered) table.push_back({"POST", "/api/quit", &web_api::post_quit});
  return table;
}

void web_api::handle(const http::request& req, http::response& res) {
  // Liveness and readiness probes (Kubernetes) carry no token, and the answer tells nothing.
  if (http::target_path(req.target) == "/healthz" &&
      (req.method == "GET" || req.method == "HEAD")) {
    res.status = 200;
    res.headers.add("Content-Type", "text/plain; charset=utf-8");
    res.body = "ok\n";
    return;
  }
  if (!options_.bearer_token.empty() && !http::carries_token(req.headers, options_.bearer_token)) {
    http::add_token_challenge(res.headers, "swarmlet");
    error(res, 401,
          "missing or wrong token (send \"Authorization: Bearer TOKEN\", or basic auth with it as "
          "password)");
    return;
  }
  // Cross-site request forgery: a page of another site can make its visitor's browser POST to
  // this API (a text/plain body needs no preflight) and start, steer, reset or quit a test.
  // Browsers say where a request comes from: Sec-Fetch-Site (a page of another port of the same
  // host is "same-site", not "same-origin"), else Origin, which must be this server's.
  if (req.method != "GET" && req.method != "HEAD") {
    const auto site = req.headers.get("sec-fetch-site");
    const auto origin = req.headers.get("origin");
    const auto host = req.headers.get("host");
    const bool foreign = site ? (*site != "same-origin" && *site != "none")
                              : origin && (!host || (*origin != "http://" + std::string(*host) &&
                                                     *origin != "https://" + std::string(*host)));
    if (foreign)
      return error(res, 403,
                   "a page of another site may not send " + req.method + " " +
                       std::string(http::target_path(req.target)) +
                       " (Origin: " + std::string(origin.value_or("none")) +
                       "): use the web UI, or a client that sends no Origin");
  }
  const std::string path(http::target_path(req.target));
  const bool head = req.method == "HEAD";
  auto allows = [&](std::string_view method) {
    return req.method == method || (head && method == "GET");
  };
  auto wrong_method = [&](std::string_view allowed) {
    res.headers.add("Allow", std::string(allowed));
    error(res, 405, "use " + std::string(allowed) + " for " + path);
  };
  const auto r = std::find_if(routes_.begin(), routes_.end(),
                              [&](const route& candidate) { return candidate.path == path; });
  if (r != routes_.end()) {
    if (!allows(r->method)) return wrong_method(r->method);
    if (r->method == "GET") return answer_get(req, res, r->handler);
    ++changes_;
    recent_.clear();
    return (this->*(r->handler))(req, res);
  }
  if (const auto f = options_.ui_files ? options_.ui_files(path) : std::nullopt) {
    if (!allows("GET")) return wrong_method("GET");
    res.status = 200;
    res.headers.add("Content-Type", std::string(f->content_type));
    res.body.assign(f->body);
    return;
  }
  error(res, 404, "no such route: " + path);
}

void web_api::answer_get(const http::request& req, http::response& res, answer build) {
  // Cheaper answers are built for every request: no one waits on them, and a poll right after
  // a report sees it.
  const auto worth_keeping = options_.reuse_answers_costing;
  const int times_its_cost = options_.reuse_for_times_its_cost;
  const test_runner& runner = session_.current();
  const std::string state = fmt::format("{} {} {} {}", runner.run_id(), phase_name(runner.state()),
                                        runner.results().stats_resets(), changes_);
  const auto now = green::clock::now();
  if (const auto it = recent_.find(req.target); it != recent_.end()) {
    if (it->second.state == state && now - it->second.built_at < times_its_cost * it->second.cost) {
      res = it->second.res;
      return;
    }
    recent_.erase(it);
  }
  (this->*build)(req, res);
  const auto cost = green::clock::now() - now;
  if (cost >= worth_keeping && req.target.find('?') == std::string::npos)
    recent_.insert_or_assign(req.target, recent_answer{state, now, cost, res});
}

std::optional<http::response> web_api::refuse_before_body(const http::request& head) {
  const bool authorized =
      options_.bearer_token.empty() || http::carries_token(head.headers, options_.bearer_token);
  const auto path = http::target_path(head.target);
  const auto r = std::find_if(routes_.begin(), routes_.end(),
                              [&](const route& candidate) { return candidate.path == path; });
  if (authorized && r != routes_.end() && r->method == head.method) return std::nullopt;
  // None of these reads a body: handle() answers as it would with one.
  http::response res;
  handle(head, res);
  return res;
}

void web_api::get_metrics(const http::request&, http::response& res) {
  const test_runner& runner = session_.current();
  const auto& a = runner.results();
  // The workers' users taking part (QA: a worker killed with -9 kept its 5 in the sum beside
  // the 10 its users moved to, until the test ended).
  metrics_context ctx{runner.users_now(), static_cast<int>(workers_().size()), runner.running()};
  res.status = 200;
  res.headers.add("Content-Type", "text/plain; version=0.0.4");
  res.body = prometheus_metrics(a, ctx);
}

void web_api::get_stats(const http::request&, http::response& res) {
  const test_runner& runner = session_.current();
  const auto& a = runner.results();
  const bool closed_and_running = runner.running() && !runner.scenario().load.arrival;
  nlohmann::json entries = nlohmann::json::array();
  for (const auto& [k, s] : a.totals().entries()) {
    auto j = api_stats_json(s, a.current_rates(&k));
    j["method"] = k.method;
    j["name"] = k.name;
    entries.push_back(std::move(j));
  }
  // What the closed model's test asks for now (the Edit dialog's values): the users it ramps to
  // and their spawn rate; null when no test runs.
  const nlohmann::json target_users =
      closed_and_running ? nlohmann::json(runner.requested_users()) : nullptr;
  const nlohmann::json spawn_rate =
      closed_and_running ? nlohmann::json(runner.requested_spawn_rate()) : nullptr;
  json(res, 200,
       {{"state", phase_name(runner.state())},
        {"run_id", std::to_string(runner.run_id())},
        {"target", runner.scenario().target},
        {"users", runner.users_now()},
        {"elapsed_s", runner.summary_now().duration_s},
        {"stats", entries},
        {"warnings", runner.summary_now().warnings},
        {"open_model", runner.scenario().load.arrival.has_value()},
        {"target_users", target_users},
        {"spawn_rate", spawn_rate},
        {"generator_lag_ms", generator_lag_json(a.totals().lag())},
        {"total", api_stats_json(a.totals().total(), a.current_rates(nullptr))}});
}

void web_api::get_failures(const http::request&, http::response& res) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [k, n] : session_.current().results().totals().errors())
    out.push_back(
        {{"method", k.method}, {"name", k.name}, {"error", k.message}, {"occurrences", n}});
  json(res, 200, out);
}

void web_api::get_exceptions(const http::request&, http::response& res) {
  json(res, 200, exceptions_json(session_.current().results()));
}

void web_api::get_history(const http::request& req, http::response& res) {
  nlohmann::json out = nlohmann::json::array();
  // from: the first interval wanted (the rows are thinned in long tests; see thinned_history).
  const thinned_history& history = session_.current().results().history();
  const auto from = http::query_number(req.target, "from");
  if (!from && http::query_value(req.target, "from"))
    return error(res, 400, "from: the first interval wanted, a whole number (0, 1, 2...)");
  for (auto i = history.first_from(from.value_or(0)); i < history.rows().size(); ++i) {
    const auto& r = history.rows()[i];
    out.push_back({{"interval", r.interval},
                   {"time", r.unix_time},
                   {"users", r.users},
                   {"rps", r.rps},
                   {"fail_per_s", r.fails_per_s},
                   {"p50_ms", r.window.percentile_ms(0.5)},
                   {"p95_ms", r.window.percentile_ms(0.95)},
                   {"p99_ms", r.window.percentile_ms(0.99)}});
  }
  json(res, 200, out);
}

void web_api::get_workers(const http::request&, http::response& res) {
  json(res, 200, workers_());
}

void web_api::get_scenario(const http::request&, http::response& res) {
  auto answer = load_json(session_.scenario());
  // A posted scenario keeps the master's file name for its reports, but came from no file.
  const bool posted = session_.scenario_posted();
  answer["file"] = posted ? nlohmann::json(nullptr) : nlohmann::json(session_.scenario().file);
  answer["posted"] = posted;
  answer["yaml"] = session_.scenario_yaml();
  json(res, 200, answer);
}

void web_api::get_report_json(const http::request&, http::response& res) {
  const test_runner& runner = session_.current();
  json(res, 200, summary_json(runner.results(), runner.summary_now()));
}

void web_api::get_stats_csv(const http::request&, http::response& res) {
  const test_runner& runner = session_.current();
  download(res, "text/csv", report_stem(runner.scenario()) + "_stats.csv",
           stats_csv(runner.results(), runner.summary_now()));
}

void web_api::get_failures_csv(const http::request&, http::response& res) {
  const test_runner& runner = session_.current();
  download(res, "text/csv", report_stem(runner.scenario()) + "_failures.csv",
           failures_csv(runner.results()));
}

void web_api::get_exceptions_csv(const http::request&, http::response& res) {
  const test_runner& runner = session_.current();
  download(res, "text/csv", report_stem(runner.scenario()) + "_exceptions.csv",
           exceptions_csv(runner.results()));
}

void web_api::get_history_csv(const http::request&, http::response& res) {
  const test_runner& runner = session_.current();
  download(res, "text/csv", report_stem(runner.scenario()) + "_stats_history.csv",
           history_csv(runner.results()));
}

void web_api::get_report_html(const http::request&, http::response& res) {
  const test_runner& runner = session_.current();
  download(res, "text/html; charset=utf-8", report_stem(runner.scenario()) + ".html",
           html_report(runner.scenario(), runner.results(), runner.summary_now()));
}

void web_api::post_stop(const http::request&, http::response& res) {
  if (!session_.active()) return error(res, 409, "no test is running");
  session_.stop();
  json(res, 202, {{"stopping", true}});
}

void web_api::post_reset(const http::request&, http::response& res) {
  // Web hunt: a reset after the end emptied the finished test's numbers on the API and in its
  // reports (a verdict then stood over 0 requests), which stay until the next test starts.
  const auto phase = session_.current().state();
  if (phase == test_runner::phase::ready || phase == test_runner::phase::stopped)
    return error(res, 409,
                 "no test is running: the numbers of the test that ended stay until the next one "
                 "starts");
  session_.current().reset_stats();
  json(res, 200, {{"reset", true}});
}

void web_api::post_quit(const http::request&, http::response& res) {
  options_.quit();
  json(res, 202, {{"quitting", true}});
}

void web_api::post_start(const http::request& req, http::response& res) {
  start_request r;
  const auto type = req.headers.get("content-type");
  if (type && type->find("yaml") != std::string::npos) {
    r.scenario_yaml = req.body;  // the scenario as it is, its own load
  } else {
    const auto body = config::parse_untrusted_json(req.body.empty() ? "{}" : req.body);
    if (body.is_discarded() || !body.is_object())
      return error(
          res, 400,
          "POST a JSON object (users, spawn_rate, run_time, host, stages, scenario) or YAML");
    try {
      auto& o = r.overrides;
      for (const auto& [key, value] : body.items()) {
        if (key == "users")
          o.users = user_count(value, "users");
        else if (key == "spawn_rate")
          o.spawn_rate = value.get<double>();
        else if (key == "run_time")
          o.run_time = duration_text(value);
        else if (key == "host")
          o.host = value.get<std::string>();
        else if (key == "scenario")
          r.scenario_yaml = value.get<std::string>();
        else if (key == "stages") {
          std::vector<config::stage_spec> stages;
          if (!value.is_array() || value.empty())
            throw bad_field(
                "stages: a list of at least one {\"duration\": \"30s\", \"users\": N, "
                "\"spawn_rate\": R}");
          for (const auto& st : value) {
            if (!st.is_object()) throw bad_field("stages: each stage is an object");
            for (const auto& [field, ignored] : st.items())
              if (field != "duration" && field != "users" && field != "spawn_rate")
                return error(res, 400,
                             "stages: unknown field '" + field + "' (duration, users, spawn_rate)");
            config::stage_spec s;
            const auto d = config::parse_duration(duration_text(st.at("duration")));
            if (!d) return error(res, 400, "stages: a duration is e.g. \"30s\" or \"5m\"");
            s.duration = *d;
            s.users = user_count(st.at("users"), "stages: users");
            if (st.contains("spawn_rate")) {
              // As in a scenario's stage; 0 here was read as none given (a linear ramp).
              s.spawn_rate = st.at("spawn_rate").get<double>();
              if (!(s.spawn_rate >= 0.001 && s.spawn_rate <= 1e7))
                throw bad_field(
                    "stages: spawn_rate is 0.001 to 10000000 users/s (leave it out to ramp over "
                    "the stage's duration)");
            }
            stages.push_back(s);
          }
          o.stages = std::move(stages);
        } else {
          return error(
              res, 400,
              "unknown field '" + key + "' (users, spawn_rate, run_time, host, stages, scenario)");
        }
      }
      // As a scenario's load.users beside its stages: the posted stages silently won over them.
      if (o.stages && (o.users || o.spawn_rate))
        return error(res, 400,
                     std::string(o.users ? "users" : "spawn_rate") +
                         " does not go with stages: each stage says its own users and "
                         "spawn_rate (send one or the other)");
    } catch (const bad_field& e) {
      return error(res, 400, e.what());
    } catch (const nlohmann::json::exception&) {
      return error(res, 400,
                   "users, spawn_rate: numbers; run_time, host, scenario: strings; stages: "
                   "[{\"duration\": \"30s\", \"users\": N, \"spawn_rate\": R}]");
    }
  }
  const auto outcome = session_.start(r);
  if (outcome.result == start_outcome::kind::invalid) return error(res, 400, outcome.message);
  if (outcome.result == start_outcome::kind::conflict) return error(res, 409, outcome.message);
  auto answer = load_json(session_.current().scenario());
  answer["run_id"] = std::to_string(session_.current().run_id());
  json(res, 202, answer);
}

void web_api::post_swarm(const http::request& req, http::response& res) {
  const auto body = config::parse_untrusted_json(req.body);
  if (body.is_discarded() || !body.is_object() || body.empty())
    return error(res, 400,
                 "POST a JSON object {\"users\": N, \"spawn_rate\": R} (N from 0 to 10000000, R "
                 "from 0.001 to 10000000; leave one out to keep its current value)");
  swarm_change change;
  try {
    change = read_swarm_change(body);
  } catch (const bad_field& e) {
    return error(res, 400, e.what());
  }
  const auto outcome = session_.change_users(change);
  if (!outcome.changed) return error(res, 409, outcome.message);
  json(res, 202, {{"users", outcome.users}, {"spawn_rate", outcome.spawn_rate}});
}

}  // namespace swarmlet::master
