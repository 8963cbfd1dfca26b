#pragma once
// What one HTTP exchange gives the caller, whatever the protocol version that carried it: the
// response, or how it failed (the target's failures are values, never exceptions).
#include <chrono>
#include <string>

#include "http_message.hpp"

namespace swarmlet::http {

/// How a request failed (wrk's errors: connect, read, write, timeout, status are reported apart).
enum class error_kind {
  none,
  connect_refused,
  connect_timeout,
  timeout,
  reset,
  bad_response,
  tls,
  resolve,
  /// The generator's own limit, not the target's: no file descriptor left (ulimit -n).
  too_many_open_files,
  /// Also the generator's: every local port for another connection to the address is held
  /// (net.ipv4.ip_local_port_range).
  no_local_port,
  other
};
const char* to_string(error_kind kind) noexcept;

/// The protocol a request went over (none: it never reached a connection).
enum class version { none, http1_1, http2 };
/// "1.1", "2" or "none".
const char* to_string(version v) noexcept;

struct result {
  http::response response;
  error_kind error = error_kind::none;
  std::string error_message;  ///< one line, e.g. "connect to 127.0.0.1:9: Connection refused"
  std::chrono::steady_clock::duration elapsed{};
  http::version version = http::version::none;
  /// Over TLS, the server asked for a client certificate and none was configured: the likely
  /// reason for a refusal (see status_failure).
  bool client_certificate_missing = false;
  bool ok() const noexcept { return error == error_kind::none; }
};

/// What a failure adds when the server asked for a client certificate and none was configured.
inline constexpr const char* no_client_certificate_note =
    " (the server asked for a client certificate and none is configured: http: {client_cert, "
    "client_key})";
/// A response's status as a failure, e.g. "HTTP 503 Service Unavailable", with the likely
/// reason when the client knows one (a client certificate the server asked for).
std::string status_failure(const result& r);
/// A failed request's error as the reports count it: "<kind>: <message>" ("timeout: no response
/// within 30000 ms").
std::string failure_text(const result& r);

}  // namespace swarmlet::http
