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
  o.server_name = h.server_name;
  return o;
}

/// The same with the TLS files the scenario shipped (CA, client certificate and key).
inline http::client_options client_options_of(const config::scenario& s) {
  http::client_options o = client_options_of(s.http);
  auto text_of = [&s](const std::string& name) {
    auto it = s.files.find(name);
    return it == s.files.end() ? std::string() : it->second;
  };
  if (!s.http.ca_file.empty()) o.ca_pem = text_of(s.http.ca_file);
  if (!s.http.client_cert.empty()) o.client_cert_pem = text_of(s.http.client_cert);
  if (!s.http.client_key.empty()) o.client_key_pem = text_of(s.http.client_key);
  return o;
}

/// The WebSocket options of the same settings: the connect timeout, `timeout` for the upgrade
/// and each send, the TLS server name. Upgrades carry the cookies of `jar` (the user's HTTP
/// client's) for their URL.
inline http::websocket_options websocket_options_of(const config::http_spec& h,
                                                    std::shared_ptr<const http::cookie_jar> jar) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  http::websocket_options o;
  o.connect_timeout = duration_cast<milliseconds>(h.connect_timeout);
  o.io_timeout = duration_cast<milliseconds>(h.timeout);
  o.server_name = h.server_name;
  o.jar = std::move(jar);
  return o;
}

}  // namespace swarmlet::worker
