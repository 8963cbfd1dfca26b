#pragma once
// A worker's answers to health probes (Kubernetes' liveness and readiness), served over HTTP
// by `swarmlet worker --health-port`.
#include "common/http/http_message.hpp"
#include "master_link.hpp"

namespace swarmlet::worker {

/// GET (or HEAD) /healthz: 200 while the worker serves, registered or still looking for its
/// master (it says hello again for ever, so restarting it would not help), with link.state().
/// GET /readyz: 200 once a master has the worker, else 503 with why. Any other path: 404; another
/// method: 405. Blocks on nothing.
void answer_health(const master_link& link, const http::request& req, http::response& res);

}  // namespace swarmlet::worker
