#pragma once
// The master's HTTP API (JSON), its downloads, Prometheus metrics and the web UI's files, served
// by the green HTTP server on the master's hub. Routes: docs/api.md. Errors answer with a status
// and {"error": "..."}.
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

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
};

class web_api {
 public:
  /// `workers` lists the workers as JSON (the master's registry, or the local one).
  web_api(test_session& session, std::function<nlohmann::json()> workers, web_options options);
  void handle(const http::request& req, http::response& res);

 private:
  bool authorized(const http::request& req) const;
  void start(const http::request& req, http::response& res);
  void swarm(const http::request& req, http::response& res);

  test_session& session_;
  std::function<nlohmann::json()> workers_;
  web_options options_;
};

}  // namespace swarmlet::master
