#pragma once
// The master's HTTP API (JSON) and Prometheus metrics, served by the green HTTP server on the
// master's hub. Routes (docs/api.md): GET /api/stats, /api/failures, /api/history,
// /api/workers, /api/report.json, /metrics; POST /api/swarm {users, spawn_rate}, /api/stop.
// Errors answer with a status and {"error": "..."}.
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "common/http/http_message.hpp"
#include "test_runner.hpp"

namespace swarmlet::master {

struct web_options {
  std::string bearer_token;  ///< when set, every request must carry "Authorization: Bearer <token>"
};

class web_api {
 public:
  /// `workers` lists the workers as JSON (the master's registry, or the local one).
  web_api(test_runner& runner, std::function<nlohmann::json()> workers, web_options options);
  void handle(const http::request& req, http::response& res);

 private:
  test_runner& runner_;
  std::function<nlohmann::json()> workers_;
  web_options options_;
};

}  // namespace swarmlet::master
