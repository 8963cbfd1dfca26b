#pragma once
// Incremental HTTP/1.1 parsing with Debian's http-parser (as wrk does): feed bytes as they
// arrive; the parser stops at the end of each message so pipelined messages are taken one at
// a time.
#include <http_parser.h>

#include <cstddef>
#include <string>
#include <utility>

#include "http_message.hpp"

namespace swarmlet::http {

class message_parser {
 public:
  enum class kind { request, response };
  explicit message_parser(kind k);
  message_parser(const message_parser&) = delete;
  message_parser& operator=(const message_parser&) = delete;

  /// Starts on the next message. `no_body` tells that the response answers a HEAD request.
  /// With `keep_body` false, body bytes are counted but not stored.
  void start(bool no_body = false, bool keep_body = true);
  /// Parses what it can of `data`; returns how much it consumed (it stops after a message).
  std::size_t feed(const char* data, std::size_t size);
  /// The stream ended: completes a body delimited by the connection's close.
  void finish();

  bool complete() const noexcept { return complete_; }
  bool failed() const noexcept { return !error_.empty(); }
  /// Why the input is not HTTP, e.g. "invalid character in header".
  const std::string& error() const noexcept { return error_; }
  /// Failed because the body passed max_kept_body (a server answers 413).
  bool body_too_large() const noexcept { return body_too_large_; }
  bool keep_alive() const noexcept { return keep_alive_; }
  bool started() const noexcept { return started_; }
  /// The message's head (request or status line, header fields) is read: its body follows.
  bool head_complete() const noexcept { return in_body_; }
  /// The message's HTTP major version, once its head is parsed ("HTTP/1.1": 1).
  int major_version() const noexcept { return major_version_; }

  /// The parsed message (request fields for a request, response fields for a response).
  http::request& request() noexcept { return request_; }
  http::response& response() noexcept { return response_; }

 private:
  static int on_message_begin(http_parser* p);
  static int on_url(http_parser* p, const char* at, std::size_t n);
  static int on_header_field(http_parser* p, const char* at, std::size_t n);
  static int on_header_value(http_parser* p, const char* at, std::size_t n);
  static int on_headers_complete(http_parser* p);
  /// http-parser's error, as a user should read it.
  std::string describe(http_errno err) const;
  static int on_body(http_parser* p, const char* at, std::size_t n);
  static int on_message_complete(http_parser* p);

  kind kind_;
  http_parser parser_;
  http_parser_settings settings_;
  bool no_body_ = false;
  bool keep_body_ = true;
  bool complete_ = false;
  bool started_ = false;
  bool keep_alive_ = false;
  bool body_too_large_ = false;
  bool in_value_ = false;  ///< the last piece was of field_'s value
  bool in_body_ = false;   ///< past the header
  int major_version_ = 1;
  /// The header field being parsed, in the message's list: pointed to, not indexed, as the list
  /// only grows at its end while the field is filled.
  std::pair<std::string, std::string>* field_ = nullptr;
  std::string error_;
  http::request request_;
  http::response response_;
};

}  // namespace swarmlet::http
