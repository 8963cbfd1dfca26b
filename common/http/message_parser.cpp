#include "message_parser.hpp"

#include <climits>
#include <cstring>

namespace swarmlet::http {

namespace {
message_parser& self(http_parser* p) {
  return *static_cast<message_parser*>(p->data);
}
constexpr std::size_t max_header_bytes = 64 * 1024;
/// Said instead of http-parser's "the on_header_value callback failed".
constexpr const char* header_too_long = "a header field over 64 KiB (the most one may hold)";
}  // namespace

message_parser::message_parser(kind k) : kind_(k) {
  std::memset(&settings_, 0, sizeof settings_);
  settings_.on_message_begin = &message_parser::on_message_begin;
  settings_.on_url = &message_parser::on_url;
  settings_.on_header_field = &message_parser::on_header_field;
  settings_.on_header_value = &message_parser::on_header_value;
  settings_.on_headers_complete = &message_parser::on_headers_complete;
  settings_.on_body = &message_parser::on_body;
  settings_.on_message_complete = &message_parser::on_message_complete;
  start();
}

void message_parser::start(bool no_body, bool keep_body) {
  http_parser_init(&parser_, kind_ == kind::request ? HTTP_REQUEST : HTTP_RESPONSE);
  parser_.data = this;
  no_body_ = no_body;
  keep_body_ = keep_body;
  complete_ = started_ = keep_alive_ = body_too_large_ = in_body_ = false;
  field_ = nullptr;
  in_value_ = false;
  error_.clear();
  if (kind_ == kind::request) {
    request_ = http::request{};
    request_.target.clear();  // filled from the request line
  } else {
    response_ = http::response{};
    // One allocation for the fields, not one per doubling (nginx sends five, most servers
    // fewer than eight).
    response_.headers.reserve(8);
  }
}

std::size_t message_parser::feed(const char* data, std::size_t size) {
  if (complete_ || failed()) return 0;
  const std::size_t used = http_parser_execute(&parser_, &settings_, data, size);
  const auto err = HTTP_PARSER_ERRNO(&parser_);
  if (err == HPE_PAUSED) {
    http_parser_pause(&parser_, 0);
  } else if (err != HPE_OK && error_.empty()) {
    error_ = describe(err);
  }
  return used;
}

void message_parser::finish() {
  if (complete_ || failed()) return;
  http_parser_execute(&parser_, &settings_, nullptr, 0);
  const auto err = HTTP_PARSER_ERRNO(&parser_);
  if (err != HPE_OK && err != HPE_PAUSED) error_ = describe(err);
  if (!complete_ && error_.empty())
    error_ = started_ ? "connection closed before the message was complete"
                      : "connection closed before any response";
}

int message_parser::on_message_begin(http_parser* p) {
  self(p).started_ = true;
  return 0;
}

int message_parser::on_url(http_parser* p, const char* at, std::size_t n) {
  auto& s = self(p);
  if (s.request_.target.size() + n > max_header_bytes) {
    s.error_ = "a request target over 64 KiB (the most one may hold)";
    return -1;
  }
  s.request_.target.append(at, n);
  return 0;
}

int message_parser::on_header_field(http_parser* p, const char* at, std::size_t n) {
  auto& s = self(p);
  // A chunked body's trailer fields come after it: not the header's (Go's net/http keeps them
  // apart, k6's r.headers has none). The last of them was never added, the others were.
  if (s.in_body_) return 0;
  // A name comes in pieces when it spans two reads; the first piece after a value starts the
  // next field. The field is made in the message's list and filled there: no copy afterwards.
  if (s.field_ == nullptr || s.in_value_) {
    s.field_ = &(s.kind_ == kind::request ? s.request_.headers : s.response_.headers).start_field();
    s.in_value_ = false;
  }
  if (s.field_->first.size() + n > max_header_bytes) {
    s.error_ = header_too_long;
    return -1;
  }
  s.field_->first.append(at, n);
  return 0;
}

int message_parser::on_header_value(http_parser* p, const char* at, std::size_t n) {
  auto& s = self(p);
  if (s.in_body_ || s.field_ == nullptr) return 0;  // a trailer's
  s.in_value_ = true;
  if (s.field_->second.size() + n > max_header_bytes) {
    s.error_ = header_too_long;
    return -1;
  }
  s.field_->second.append(at, n);
  return 0;
}

std::string message_parser::describe(http_errno err) const {
  const bool chunked = (parser_.flags & F_CHUNKED) != 0;
  // http-parser reports a chunk size past 2^64 - 1 as a bad Content-Length, and a number too
  // large for it (past about 2^60) as an invalid character.
  if (err == HPE_INVALID_CONTENT_LENGTH && in_body_ && chunked) return "chunk size too large";
  if (err == HPE_INVALID_CONTENT_LENGTH && !in_body_ && field_ != nullptr &&
      equals_ignoring_case(field_->first, "content-length"))
    return "a Content-Length that is no number, or too large (past 2^60)";
  // In a body, http-parser's header count goes on over chunk size lines and trailer fields.
  if (err == HPE_HEADER_OVERFLOW && in_body_)
    return "a chunk size line (with its extensions) or trailer fields over 80 KiB";
  if (err == HPE_INVALID_EOF_STATE) {
    if (!in_body_)
      return kind_ == kind::request ? "the connection closed in the middle of the request's head"
                                    : "the connection closed in the middle of the response's head";
    if (chunked) return "the connection closed in the middle of the chunked body";
    if (parser_.content_length != ULLONG_MAX && parser_.content_length > 0)
      return "the connection closed " + std::to_string(parser_.content_length) +
             " bytes short of the body's Content-Length";
  }
  return http_errno_description(err);
}

int message_parser::on_headers_complete(http_parser* p) {
  auto& s = self(p);
  s.in_body_ = true;
  s.field_ = nullptr;
  s.major_version_ = p->http_major;
  if (s.kind_ == kind::request) {
    s.request_.method = http_method_str(static_cast<http_method>(p->method));
  } else {
    s.response_.status = p->status_code;
  }
  // 1 tells http-parser that no body follows: the answer to a HEAD request, and a 1xx, 204 or
  // 304 (RFC 9110 6.4.1), whatever Content-Length it has (a 304's may be the full response's
  // length; http-parser would wait for that many bytes). 101's upgrade goes as before.
  if (s.no_body_) return 1;
  if (s.kind_ == kind::response && p->status_code != 101 &&
      (p->status_code < 200 || p->status_code == 204 || p->status_code == 304))
    return 1;
  return 0;
}

int message_parser::on_body(http_parser* p, const char* at, std::size_t n) {
  auto& s = self(p);
  std::string* kept = nullptr;
  if (s.kind_ == kind::request) {
    kept = &s.request_.body;
  } else {
    s.response_.body_bytes += n;
    if (s.keep_body_) kept = &s.response_.body;
  }
  if (kept == nullptr) return 0;
  if (kept->size() + n > max_kept_body) {
    s.error_ = s.kind_ == kind::request ? "request body over 64 MiB" : body_too_large_message;
    s.body_too_large_ = true;
    *kept = {};
    return -1;
  }
  kept->append(at, n);
  return 0;
}

int message_parser::on_message_complete(http_parser* p) {
  auto& s = self(p);
  s.complete_ = true;
  s.keep_alive_ = http_should_keep_alive(p) != 0;
  http_parser_pause(p, 1);  // one message at a time
  return 0;
}

}  // namespace swarmlet::http
