#include "result.hpp"

namespace swarmlet::http {

const char* to_string(error_kind kind) noexcept {
  switch (kind) {
    case error_kind::none:
      return "none";
    case error_kind::connect_refused:
      return "connect_refused";
    case error_kind::connect_timeout:
      return "connect_timeout";
    case error_kind::timeout:
      return "timeout";
    case error_kind::reset:
      return "reset";
    case error_kind::bad_response:
      return "bad_response";
    case error_kind::tls:
      return "tls";
    case error_kind::resolve:
      return "resolve";
    case error_kind::too_many_open_files:
      return "too many open files";
    case error_kind::no_local_port:
      return "no local port";
    case error_kind::other:
      return "other";
  }
  return "other";
}

std::string status_failure(const result& r) {
  std::string out = "HTTP " + std::to_string(r.response.status) + " " +
                    std::string(reason_phrase(r.response.status));
  if (r.client_certificate_missing) out += no_client_certificate_note;
  return out;
}

const char* to_string(version v) noexcept {
  switch (v) {
    case version::http1_1:
      return "1.1";
    case version::http2:
      return "2";
    case version::none:
      return "none";
  }
  return "none";
}

std::string failure_text(const result& r) {
  return std::string(to_string(r.error)) + ": " + r.error_message;
}

}  // namespace swarmlet::http
