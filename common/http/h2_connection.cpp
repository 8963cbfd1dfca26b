#include "h2_connection.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <memory>
#include <system_error>

#include "common/green/errors.hpp"
#include "common/green/hub.hpp"
#include "common/green/operations.hpp"
#include "common/green/ssl.hpp"
#include "common/green/wait_list.hpp"
#include "h2_memory.hpp"

namespace swarmlet::http {
namespace {

constexpr std::size_t read_buffer_size = 16 * 1024;
// Large windows: the server never waits for a WINDOW_UPDATE on a load test's responses, and
// nghttp2 sends few of them (h2load opens its windows wide too).
constexpr std::int32_t stream_window = 16 << 20;
constexpr std::int32_t connection_window = 16 << 20;
constexpr std::uint32_t max_concurrent_streams = 100;
// Frames copied out of nghttp2 before they are written: one write per turn for small requests,
// bounded for large bodies.
constexpr std::size_t write_batch = 64 * 1024;

bool is_connection_header(std::string_view name) {
  // HTTP/2 forbids the connection-specific fields of HTTP/1.1 (RFC 9113, 8.2.2); Host becomes
  // :authority.
  for (std::string_view h :
       {"host", "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"})
    if (equals_ignoring_case(name, h)) return true;
  return false;
}

bool has_upper(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

/// Printable ASCII of the server's GOAWAY debug data, bounded.
std::string printable(const std::uint8_t* data, std::size_t size) {
  std::string out;
  for (std::size_t i = 0; i < size && out.size() < 200; ++i)
    out += std::isprint(data[i]) ? static_cast<char>(data[i]) : '?';
  return out;
}

}  // namespace

struct h2_connection::stream {
  std::int32_t id = -1;
  const std::string* body = nullptr;
  std::size_t body_sent = 0;
  bool keep_body = true;
  http::response response;
  bool closed = false;
  /// The server ended its whole response while the request's body was still going (RFC 9113
  /// 8.1 allows it: a 413, say): answered; the rest of the body is not sent (the stream is
  /// reset as the exchange leaves, as Go's transport does).
  bool answered_before_body_sent = false;
  /// Its HEADERS went out: a stream the server's SETTINGS keep from starting has not.
  bool headers_sent = false;
  /// A :status came (000 reads as status 0, which is also "none yet").
  bool status_received = false;
  std::uint32_t error_code = NGHTTP2_NO_ERROR;
  bool reset_by_us = false;     // nghttp2 reset it: what the server sent broke the protocol
  bool body_too_large = false;  // we reset it: its body passed max_kept_body
  /// The size of the response's header fields so far, as HTTP/2 counts a header list (name,
  /// value and 32 octets each), and whether it passed max_header_list (we reset the stream).
  std::size_t header_list_size = 0;
  bool headers_too_large = false;
  green::wait_list waiters;  // the green thread waiting for this response, when parked
};

/// nghttp2's callbacks: they only record and wake; none of them parks.
struct h2_callbacks {
  static h2_connection& self(void* user_data) { return *static_cast<h2_connection*>(user_data); }

  static ssize_t read_body(nghttp2_session*, std::int32_t id, std::uint8_t* buf, std::size_t length,
                           std::uint32_t* flags, nghttp2_data_source*, void* user_data) {
    h2_connection::stream* s = self(user_data).find(id);
    if (s == nullptr) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // abandoned: reset it
    const std::size_t n = std::min(length, s->body->size() - s->body_sent);
    std::memcpy(buf, s->body->data() + s->body_sent, n);
    s->body_sent += n;
    if (s->body_sent == s->body->size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
                       std::size_t namelen, const std::uint8_t* value, std::size_t valuelen,
                       std::uint8_t, void* user_data) {
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    h2_connection::stream* s = self(user_data).find(frame->hd.stream_id);
    if (s == nullptr || s->headers_too_large) return 0;
    const std::string_view n(reinterpret_cast<const char*>(name), namelen);
    const std::string_view v(reinterpret_cast<const char*>(value), valuelen);
    // HPACK lets a few bytes on the wire name a large field of its table again and again:
    // 144 KB of frames decoded to 580 MB of fields and held the hub thread for seconds.
    s->header_list_size += namelen + valuelen + 32;
    if (s->header_list_size > max_header_list) {
      s->headers_too_large = true;
      s->response.headers = {};
      nghttp2_submit_rst_stream(self(user_data).session_, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_CANCEL);
      return 0;
    }
    if (n == ":status") {
      // A final status after 1xx ones: the informational block's fields are not this
      // response's.
      s->header_list_size = namelen + valuelen + 32;
      s->response.headers.clear();
      s->response.headers.reserve(8);  // a response's usual few, without growing by doubling
      s->response.status = 0;
      s->status_received = true;
      for (char c : v) s->response.status = s->response.status * 10 + (c - '0');
    } else if (!n.empty() && n[0] != ':') {
      s->response.headers.add(std::string(n), std::string(v));
    }
    return 0;
  }

  static int on_data(nghttp2_session*, std::uint8_t, std::int32_t id, const std::uint8_t* data,
                     std::size_t len, void* user_data) {
    h2_connection::stream* s = self(user_data).find(id);
    if (s == nullptr) return 0;
    s->response.body_bytes += len;
    if (!s->keep_body || s->body_too_large) return 0;
    if (s->response.body.size() + len > max_kept_body) {
      s->body_too_large = true;
      s->response.body = {};
      nghttp2_submit_rst_stream(self(user_data).session_, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
      return 0;
    }
    s->response.body.append(reinterpret_cast<const char*>(data), len);
    return 0;
  }

  static int on_stream_close(nghttp2_session*, std::int32_t id, std::uint32_t error_code,
                             void* user_data) {
    h2_connection& c = self(user_data);
    h2_connection::stream* s = c.find(id);
    if (s == nullptr) return 0;
    s->closed = true;
    s->error_code = error_code;
    if (error_code == NGHTTP2_NO_ERROR && s->status_received) ++c.completed_;
    s->waiters.wake_one();
    return 0;
  }

  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    h2_connection& c = self(user_data);
    if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
        (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
      // The stream stays open (half-closed) until our side ends too, which a body the server
      // no longer reads (its window shut) never does: its answer waited for the timeout.
      h2_connection::stream* s = c.find(frame->hd.stream_id);
      if (s != nullptr && !s->closed && s->response.status >= 200 &&
          s->body_sent < s->body->size()) {
        s->answered_before_body_sent = true;
        ++c.completed_;
        s->waiters.wake_one();
      }
      return 0;
    }
    if (frame->hd.type != NGHTTP2_GOAWAY) return 0;
    c.goaway_received_ = true;
    c.goaway_code_ = frame->goaway.error_code;
    c.goaway_last_stream_ = frame->goaway.last_stream_id;
    c.goaway_debug_ = printable(frame->goaway.opaque_data, frame->goaway.opaque_data_len);
    return 0;
  }

  static int on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    h2_connection& c = self(user_data);
    if (frame->hd.type == NGHTTP2_RST_STREAM) {
      if (h2_connection::stream* s = c.find(frame->hd.stream_id)) s->reset_by_us = true;
    } else if (frame->hd.type == NGHTTP2_HEADERS) {
      if (h2_connection::stream* s = c.find(frame->hd.stream_id)) s->headers_sent = true;
    } else if (frame->hd.type == NGHTTP2_GOAWAY && frame->goaway.error_code != NGHTTP2_NO_ERROR) {
      c.local_goaway_ = nghttp2_http2_strerror(frame->goaway.error_code);
      const std::string why = printable(frame->goaway.opaque_data, frame->goaway.opaque_data_len);
      if (!why.empty()) c.local_goaway_ += " (" + why + ")";
    }
    return 0;
  }

  static int on_invalid_frame(nghttp2_session*, const nghttp2_frame*, int lib_error_code,
                              void* user_data) {
    self(user_data).last_lib_error_ = nghttp2_strerror(lib_error_code);
    return 0;
  }

  static int on_error(nghttp2_session*, int, const char* msg, std::size_t len, void* user_data) {
    self(user_data).last_lib_error_.assign(msg, len);
    return 0;
  }

  struct owner {
    void operator()(nghttp2_session_callbacks* c) const noexcept {
      nghttp2_session_callbacks_del(c);
    }
  };
  /// Made once: nghttp2 copies them into each session.
  static const nghttp2_session_callbacks* get() {
    static const std::unique_ptr<nghttp2_session_callbacks, owner> callbacks = [] {
      nghttp2_session_callbacks* c = nullptr;
      if (nghttp2_session_callbacks_new(&c) != 0) throw std::bad_alloc();
      nghttp2_session_callbacks_set_on_header_callback(c, on_header);
      nghttp2_session_callbacks_set_on_data_chunk_recv_callback(c, on_data);
      nghttp2_session_callbacks_set_on_stream_close_callback(c, on_stream_close);
      nghttp2_session_callbacks_set_on_frame_recv_callback(c, on_frame_recv);
      nghttp2_session_callbacks_set_on_frame_send_callback(c, on_frame_send);
      nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(c, on_invalid_frame);
      nghttp2_session_callbacks_set_error_callback2(c, on_error);
      return std::unique_ptr<nghttp2_session_callbacks, owner>(c);
    }();
    return callbacks.get();
  }
};

/// One exchange's stay on the connection: its stream is known to the callbacks while it lasts;
/// on the way out (however it leaves) an unfinished stream is cancelled and, if no one reads
/// the connection any more, another waiter is woken to.
class h2_connection::exchange_scope {
 public:
  exchange_scope(h2_connection& c, stream& s) : c_(c), s_(s) { c_.streams_.push_back(&s_); }
  ~exchange_scope() {
    if (reading_) c_.reading_ = false;
    std::erase(c_.streams_, &s_);
    // Its frames go out with the next write: a destructor must not park.
    if (!s_.closed && !c_.failed_)
      nghttp2_submit_rst_stream(c_.session_, NGHTTP2_FLAG_NONE, s_.id, NGHTTP2_CANCEL);
    if (!c_.reading_) c_.hand_off_reading();
  }
  exchange_scope(const exchange_scope&) = delete;
  exchange_scope& operator=(const exchange_scope&) = delete;

  void read(green::time_point until) {
    c_.reading_ = reading_ = true;
    c_.read_once(until);
    c_.reading_ = reading_ = false;
  }

 private:
  h2_connection& c_;
  stream& s_;
  bool reading_ = false;
};

h2_connection::h2_connection(green::stream& io, green::socket& raw)
    : io_(io), raw_(raw), in_(read_buffer_size) {
  if (nghttp2_session_client_new3(&session_, h2_callbacks::get(), this, nullptr, h2_memory()) != 0)
    throw std::bad_alloc();
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<std::uint32_t>(stream_window)},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<std::uint32_t>(max_header_list)},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, connection_window);
}

h2_connection::~h2_connection() {
  nghttp2_session_del(session_);
}

bool h2_connection::accepts_streams() const noexcept {
  return !failed_ && nghttp2_session_check_request_allowed(session_) != 0;
}

h2_connection::stream* h2_connection::find(std::int32_t id) const noexcept {
  for (stream* s : streams_)
    if (s->id == id) return s;
  return nullptr;
}

h2_connection::outcome h2_connection::exchange(const request& req, bool head,
                                               const h2_request_context& context,
                                               std::chrono::milliseconds timeout) {
  const green::time_point until = green::clock::now() + timeout;
  outcome out;
  out.result.version = version::http2;
  // With other streams in flight, more requests are about to be made here: by the green
  // threads woken by the same read, and by those that the responses already on their way will
  // wake. Waiting for I/O to settle before this one is submitted, then letting those woken
  // with it submit theirs (the yield below), makes one write of them all instead of one each
  // (h2load defers its writes to its next loop turn for the same reason). Submitted only after
  // the wait, the requests cannot go with a reader's write of nghttp2's own frames. A lone
  // stream goes at once.
  if (!streams_.empty() && !failed_) green::yield_until_io_settles();
  if (failed_) {
    // Never submitted (the connection ended while this one waited, e.g. after a graceful
    // GOAWAY): nothing of it reached the server, so it may go again on a new connection. Not
    // after a timeout: the request's time is spent, and a new connection would get it again.
    out.result.error = failure_kind_;
    out.result.error_message = failure_;
    out.unprocessed = failure_kind_ != error_kind::timeout;
    return out;
  }
  // The header block, pointing into `req` and `context` (nghttp2 copies it at submit).
  std::vector<nghttp2_nv> nv;
  nv.reserve(req.headers.fields().size() + 7);
  auto add = [&nv](std::string_view name, std::string_view value) {
    nv.push_back({reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
                  reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(),
                  value.size(), NGHTTP2_NV_FLAG_NONE});
  };
  // Joined only when the base has a path: the common case points into the request.
  std::string joined;
  std::string_view target = context.path;
  if (!context.path_prefix.empty()) {
    joined.reserve(context.path_prefix.size() + context.path.size());
    joined.append(context.path_prefix).append(context.path);
    target = joined;
  }
  if (target.empty()) target = "/";
  add(":method", req.method);
  add(":scheme", context.scheme);
  add(":authority", req.headers.get("host").value_or(context.authority));
  add(":path", target);
  std::vector<std::string> lowered;  // names sent in lower case, as HTTP/2 requires
  const auto needs_lowering =
      std::count_if(req.headers.fields().begin(), req.headers.fields().end(),
                    [](const auto& f) { return has_upper(f.first); });
  lowered.reserve(static_cast<std::size_t>(needs_lowering));
  for (const auto& [name, value] : req.headers.fields()) {
    if (name.empty() || name[0] == ':' || is_connection_header(name)) continue;
    if (has_upper(name)) {
      add(lowered.emplace_back(ascii_lowercase(name)), value);
    } else {
      add(name, value);
    }
  }
  if (!context.user_agent.empty() && !req.headers.has("user-agent"))
    add("user-agent", context.user_agent);
  if (!context.cookie.empty() && !req.headers.has("cookie")) add("cookie", context.cookie);
  std::string length;
  const bool sends_body =
      !req.body.empty() || req.method == "POST" || req.method == "PUT" || req.method == "PATCH";
  if (sends_body && !req.headers.has("content-length")) {
    length = std::to_string(req.body.size());
    add("content-length", length);
  }

  stream s;
  s.body = &req.body;
  s.keep_body = context.keep_body && !head;
  nghttp2_data_provider body{};
  body.read_callback = h2_callbacks::read_body;
  s.id = nghttp2_submit_request(session_, nullptr, nv.data(), nv.size(),
                                req.body.empty() ? nullptr : &body, nullptr);
  if (s.id < 0) {
    out.result.error = error_kind::other;
    out.result.error_message =
        std::string("cannot start an HTTP/2 stream: ") + nghttp2_strerror(s.id);
    out.unprocessed = true;  // not sent either
    return out;
  }
  bool timed_out = false;
  {
    exchange_scope scope(*this, s);
    try {
      // The green threads woken with this one (by the same read, or by the settling above)
      // submit theirs first, for one write of them all.
      if (streams_.size() > 1) green::hub::get().yield();
      flush(until);
      while (!s.closed && !s.answered_before_body_sent && !failed_) {
        if (!reading_) {
          scope.read(until);
        } else if (!green::hub::get().park(s.waiters, until, "HTTP/2 response")) {
          timed_out = true;
          break;
        }
      }
    } catch (const green::operation_timed_out&) {
      timed_out = true;
    }
  }
  if (s.answered_before_body_sent) return outcome_of(s);
  if (timed_out && !s.closed) {
    // As over HTTP/1.1: a response begun (its head came) and not ended is not "no response";
    // and a stream the server's SETTINGS never let start says so (not one sent before they came).
    const bool begun = s.status_received;
    const bool no_streams_allowed =
        !s.headers_sent &&
        nghttp2_session_get_remote_settings(session_, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS) == 0;
    out.result.error = error_kind::timeout;
    out.result.error_message =
        (begun ? "the response was not complete within " : "no response within ") +
        std::to_string(timeout.count()) + " ms (HTTP/2 stream cancelled" +
        (!begun && no_streams_allowed
             ? "; the server allows no streams: SETTINGS_MAX_CONCURRENT_STREAMS 0)"
             : ")");
    return out;
  }
  if (!s.closed) {
    out.result.error = failure_kind_;
    out.result.error_message = failure_;
    // After a graceful GOAWAY, a stream above the server's last one was not processed; a
    // reused connection the server closed before it answered may have been (as over HTTP/1.1).
    if (!s.status_received && s.body_sent == 0) {
      if (goaway_received_)
        out.unprocessed = goaway_code_ == NGHTTP2_NO_ERROR && s.id > goaway_last_stream_;
      else
        out.closed_unanswered = completed_ > 0 && failure_kind_ == error_kind::reset;
    }
    return out;
  }
  return outcome_of(s);
}

h2_connection::outcome h2_connection::outcome_of(stream& s) const {
  outcome out;
  http::result& r = out.result;
  r.version = version::http2;
  r.response = std::move(s.response);
  if (s.body_too_large) {
    r.error = error_kind::bad_response;
    r.error_message = body_too_large_message;
    return out;
  }
  if (s.headers_too_large) {
    r.error = error_kind::bad_response;
    r.error_message = header_list_too_large_message;
    return out;
  }
  // A response: its status is judged as HTTP/1.1's (000 too is no final status).
  if (s.error_code == NGHTTP2_NO_ERROR && s.status_received) return out;
  // No stream numbers in the messages: failures are grouped by message, and each stream's
  // number would make a row of its own.
  if (s.reset_by_us) {
    r.error = error_kind::bad_response;
    r.error_message =
        std::string("bad HTTP/2 response: ") +
        (last_lib_error_.empty() ? nghttp2_http2_strerror(s.error_code) : last_lib_error_);
  } else if (goaway_received_ && s.id > goaway_last_stream_) {
    r.error = error_kind::reset;
    r.error_message = "the server sent " + goaway_text() + " before processing the stream";
    out.unprocessed = goaway_code_ == NGHTTP2_NO_ERROR;
  } else if (s.error_code == NGHTTP2_REFUSED_STREAM) {
    r.error = error_kind::reset;
    r.error_message = "the server refused the stream (RST_STREAM REFUSED_STREAM)";
    out.unprocessed = true;
  } else if (s.error_code == NGHTTP2_NO_ERROR) {
    r.error = error_kind::bad_response;
    r.error_message = "the HTTP/2 stream ended without a response";
  } else {
    r.error = error_kind::reset;
    r.error_message = std::string("the server reset the stream (RST_STREAM ") +
                      nghttp2_http2_strerror(s.error_code) + ")";
  }
  if (out.unprocessed) r.response = {};
  return out;
}

std::string h2_connection::goaway_text() const {
  std::string t = std::string("GOAWAY (") + nghttp2_http2_strerror(goaway_code_);
  if (!goaway_debug_.empty()) t += ", \"" + goaway_debug_ + "\"";
  return t + ")";
}

void h2_connection::read_once(green::time_point until) {
  const auto left = until - green::clock::now();
  if (left <= green::duration::zero()) throw green::operation_timed_out("HTTP/2 read");
  raw_.set_timeout(left);
  std::size_t n = 0;
  try {
    n = io_.read_some(std::span<char>(in_.data(), in_.size()));
  } catch (const green::tls_error& e) {
    fail(error_kind::tls, e.what());
    return;
  } catch (const std::system_error& e) {
    fail(error_kind::reset, e.what());
    return;
  }
  if (n == 0) {
    fail(error_kind::reset, goaway_received_
                                ? "the server closed the connection after " + goaway_text()
                                : std::string("the server closed the HTTP/2 connection"));
    return;
  }
  // A server without h2c answers the preface as a bad HTTP/1.1 request; nghttp2 would say only
  // "SETTINGS expected".
  if (!heard_from_server_ && std::string_view(in_.data(), n).starts_with("HTTP/1.")) {
    // Over TLS the server chose h2 by ALPN itself (only then is HTTP/2 spoken there): no h2c.
    const bool tls = static_cast<const void*>(&io_) != static_cast<const void*>(&raw_);
    fail(error_kind::bad_response,
         tls ? "the server answered in HTTP/1.1, not HTTP/2, though it chose h2 by ALPN (a "
               "server or proxy that does not speak what it offers: set http.version: \"1.1\")"
             : "the server answered in HTTP/1.1, not HTTP/2 (a server without h2c: set "
               "http.version: \"1.1\" or auto)");
    return;
  }
  heard_from_server_ = true;
  const auto rv =
      nghttp2_session_mem_recv(session_, reinterpret_cast<const std::uint8_t*>(in_.data()), n);
  if (rv < 0) {
    std::string why =
        std::string("bad HTTP/2 from the server: ") + nghttp2_strerror(static_cast<int>(rv));
    if (!last_lib_error_.empty()) why += " (" + last_lib_error_ + ")";
    fail(error_kind::bad_response, std::move(why));
    return;
  }
  // A GOAWAY with an error is a connection error (RFC 9113, 5.4.1): the streams it left open
  // will not be answered, so they fail now rather than at their timeout.
  if (goaway_received_ && goaway_code_ != NGHTTP2_NO_ERROR)
    fail(error_kind::reset, "the server sent " + goaway_text());
  flush(until);
  check_session_over();
}

void h2_connection::flush(green::time_point until) {
  if (writing_ || failed_) return;
  writing_ = true;
  struct done_writing {
    bool& flag;
    ~done_writing() { flag = false; }
  } done{writing_};
  for (;;) {
    out_.clear();
    while (out_.size() < write_batch) {
      const std::uint8_t* data = nullptr;
      const auto n = nghttp2_session_mem_send(session_, &data);
      if (n < 0) {
        fail(error_kind::other,
             std::string("HTTP/2 session: ") + nghttp2_strerror(static_cast<int>(n)));
        return;
      }
      if (n == 0) break;
      out_.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
    }
    if (out_.empty()) return;
    raw_.set_timeout(
        std::max<green::duration>(until - green::clock::now(), std::chrono::milliseconds(1)));
    try {
      io_.write_all(out_);
    } catch (const green::operation_timed_out&) {
      fail(error_kind::timeout, "writing to the server timed out (HTTP/2 connection closed)");
      throw;
    } catch (const green::tls_error& e) {
      fail(error_kind::tls, e.what());
      return;
    } catch (const std::system_error& e) {
      fail(error_kind::reset, e.what());
      return;
    } catch (...) {
      // Killed mid-write: a frame may be cut, so nothing more can go on this connection.
      fail(error_kind::other, "a write on the HTTP/2 connection was interrupted");
      throw;
    }
  }
}

void h2_connection::fail(error_kind kind, std::string message) {
  if (failed_) return;
  failed_ = true;
  failure_kind_ = kind;
  failure_ = std::move(message);
  for (stream* s : streams_) s->waiters.wake_all();
}

void h2_connection::check_session_over() {
  if (failed_ || nghttp2_session_want_read(session_) || nghttp2_session_want_write(session_))
    return;
  if (!local_goaway_.empty()) {
    fail(error_kind::bad_response,
         "HTTP/2 protocol error by the server: " + local_goaway_ + "; connection closed");
  } else if (goaway_received_) {
    fail(error_kind::reset, "the server sent " + goaway_text());
  } else {
    fail(error_kind::other, "the HTTP/2 session ended");
  }
}

void h2_connection::hand_off_reading() noexcept {
  for (stream* s : streams_) {
    if (!s->closed && s->waiters.wake_one()) return;
  }
}

}  // namespace swarmlet::http
