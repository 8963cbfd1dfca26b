#pragma once
// The HTTP client options of a scenario's `http:` settings, for YAML and scripted users alike.
#include <chrono>

#include "common/config/scenario.hpp"
#include "common/http/client.hpp"
#include "common/http/websocket.hpp"

namespace swarmlet::worker {

inline http::client_options client_options_of(const config::http_spec& h) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  http::client_options o;
  o.connect_timeout = duration_cast<milliseconds>(h.connect_timeout);
  o.read_timeout = duration_cast<milliseconds>(h.timeout);
  o.verify_tls = h.verify_tls;
  o.max_redirects = h.max_redirects;
  switch (h.version) {
    case config::http_spec::protocol::automatic:
      o.version = http::version_choice::automatic;
      break;
    case config::http_spec::protocol::http1_1:
      o.version = http::version_choice::http1_1;
      break;
    case config::http_spec::protocol::http2:
      o.version = http::version_choice::http2;
      break;
  }
  return o;
}

/// The WebSocket options of the same settings: the connect timeout, and `timeout` for the
/// handshake and each send.
inline http::websocket_options websocket_options_of(const config::http_spec& h) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  http::websocket_options o;
  o.connect_timeout = duration_cast<milliseconds>(h.connect_timeout);
  o.io_timeout = duration_cast<milliseconds>(h.timeout);
  return o;
}

}  // namespace swarmlet::worker
