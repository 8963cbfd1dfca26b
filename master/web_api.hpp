#pragma once
// The master's HTTP API (JSON), its downloads, Prometheus metrics and the web UI's files, served
// by the green HTTP server on the master's hub. Routes: docs/api.md. Errors answer with a status
// and {"error": "..."}.
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/green/clock.hpp"
#include "common/http/http_message.hpp"
#include "test_session.hpp"

namespace swarmlet::master {

/// One file of the web UI, as the build embedded it.
struct static_file {
  std::string_view content_type;
  std::string_view body;
};

struct web_options {
  /// When set, every request must carry "Authorization: Bearer <token>", or basic auth with the
  /// token as password (what a browser asks for).
  std::string bearer_token;
  /// The web UI's files by path ("/" is the page); null or none found: 404.
  std::function<std::optional<static_file>(std::string_view path)> ui_files;
  /// POST /api/quit: ends the process after the test in progress stops; null: not offered.
  std::function<void()> quit;
  /// A GET answer that took at least this long to build is given again to the same GET for
  /// `reuse_for_times_its_cost` times what it took (see web_api::recent_answer).
  green::duration reuse_answers_costing = std::chrono::milliseconds(20);
  int reuse_for_times_its_cost = 4;  // the API then takes at most ~1/4 of the hub per target
};

class web_api {
 public:
  /// `workers` lists the workers as JSON (the master's registry, or the local one).
  web_api(test_session& session, std::function<nlohmann::json()> workers, web_options options);
  /// Answers `req` into `res`: GET /healthz "ok" (no token needed: for probes), 401 without the
  /// token (when one is set), the route's answer, the
  /// UI file at the path, 405 (with Allow) for a known path and another method, or else 404.
  /// Runs on the master's hub; blocks on nothing (a test starts on its own green thread).
  void handle(const http::request& req, http::response& res);
  /// The answer to a request whose head is read and whose body is not, when its body cannot
  /// change it: no token (401), no route that takes its method (404, 405, a UI file); none when
  /// its route reads the body. For http::request_limits::check_head, with max_body.
  std::optional<http::response> refuse_before_body(const http::request& head);
  /// The largest request body the API reads: its bodies are small JSON, and the largest is a
  /// posted scenario's YAML (its data files and scripts stay on the master's disk), a few KiB
  /// where 1 MiB is 20,000 lines. The server's own bound was 64 MiB per connection.
  static constexpr std::size_t max_body = 1024 * 1024;

 private:
  using answer = void (web_api::*)(const http::request& req, http::response& res);
  /// A path and the one method it takes ("GET" takes HEAD too).
  struct route {
    std::string_view method;
    std::string_view path;
    answer handler;
  };
  static std::vector<route> routes(bool quit_offered);

  void get_metrics(const http::request& req, http::response& res);
  void get_stats(const http::request& req, http::response& res);
  void get_failures(const http::request& req, http::response& res);
  void get_exceptions(const http::request& req, http::response& res);
  void get_history(const http::request& req, http::response& res);
  void get_workers(const http::request& req, http::response& res);
  void get_scenario(const http::request& req, http::response& res);
  void get_report_json(const http::request& req, http::response& res);
  void get_stats_csv(const http::request& req, http::response& res);
  void get_failures_csv(const http::request& req, http::response& res);
  void get_exceptions_csv(const http::request& req, http::response& res);
  void get_history_csv(const http::request& req, http::response& res);
  void get_report_html(const http::request& req, http::response& res);
  void post_start(const http::request& req, http::response& res);
  void post_stop(const http::request& req, http::response& res);
  void post_reset(const http::request& req, http::response& res);
  void post_swarm(const http::request& req, http::response& res);
  void post_quit(const http::request& req, http::response& res);

  /// A GET route's answer, or one it built a moment ago (see recent_answer).
  void answer_get(const http::request& req, http::response& res, answer build);

  test_session& session_;
  std::function<nlohmann::json()> workers_;
  web_options options_;
  std::vector<route> routes_;
  /// A GET answer that took long to build (thousands of names), kept for a few times what it
  /// took: the API runs on the master's only hub, and a dozen pollers or downloads building
  /// the same 4 MB answer one after another held off the workers' heartbeats for seconds (the
  /// workers stopped their users). By target; any change of test, phase or reset, or any
  /// other request than a GET, drops them.
  struct recent_answer {
    std::string state;
    green::time_point built_at;
    green::duration cost;
    http::response res;
  };
  std::map<std::string, recent_answer, std::less<>> recent_;
  std::uint64_t changes_ = 0;  ///< requests other than GET and HEAD handled so far
};

}  // namespace swarmlet::master
