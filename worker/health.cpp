#include "health.hpp"

#include "common/http/query.hpp"

namespace swarmlet::worker {

void answer_health(const master_link& link, const http::request& req, http::response& res) {
  const auto path = http::target_path(req.target);
  res.headers.add("Content-Type", "text/plain; charset=utf-8");
  if (path != "/healthz" && path != "/readyz") {
    res.status = 404;
    res.body = "no such path: " + std::string(path) + " (try /healthz or /readyz)\n";
    return;
  }
  if (req.method != "GET" && req.method != "HEAD") {
    res.status = 405;
    res.headers.add("Allow", "GET, HEAD");
    res.body = "use GET\n";
    return;
  }
  const bool ok = path == "/healthz" || link.registered();
  res.status = ok ? 200 : 503;
  res.body = std::string(ok ? "ok: " : "not ready: ") + link.state() + "\n";
}

}  // namespace swarmlet::worker
