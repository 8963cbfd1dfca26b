#include "websocket.hpp"

#include <wslay/wslay.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <system_error>
#include <utility>

#include "client.hpp"
#include "common/green/errors.hpp"
#include "message_parser.hpp"
#include "request_syntax.hpp"
#include "websocket_handshake.hpp"

namespace swarmlet::http {
namespace {

// The offer made by TLS: the handshake is HTTP/1.1 (RFC 8441's WebSocket over h2 is not spoken).
constexpr std::string_view alpn_http1 = "\x08http/1.1";
// An answer to the upgrade with longer headers is no WebSocket server's.
constexpr std::size_t max_handshake_bytes = 64 * 1024;
constexpr std::size_t read_chunk = 16 * 1024;

std::string close_reason(std::uint16_t code) {
  switch (code) {
    case WSLAY_CODE_NORMAL_CLOSURE:
      return "1000 normal closure";
    case WSLAY_CODE_GOING_AWAY:
      return "1001 going away";
    case WSLAY_CODE_PROTOCOL_ERROR:
      return "1002 protocol error";
    case WSLAY_CODE_UNSUPPORTED_DATA:
      return "1003 unsupported data";
    case WSLAY_CODE_NO_STATUS_RCVD:
      return "no status code";
    case WSLAY_CODE_INVALID_FRAME_PAYLOAD_DATA:
      return "1007 invalid payload data";
    case WSLAY_CODE_POLICY_VIOLATION:
      return "1008 policy violation";
    case WSLAY_CODE_MESSAGE_TOO_BIG:
      return "1009 message too big";
    case WSLAY_CODE_INTERNAL_SERVER_ERROR:
      return "1011 internal error";
    default:
      return std::to_string(code);
  }
}

/// A URL whose scheme is ws or wss, as the http or https URL that reaches the same server.
std::optional<url> parse_ws_url(std::string_view text, std::string& error) {
  std::string as_http;
  if (text.rfind("ws://", 0) == 0) {
    as_http = "http://" + std::string(text.substr(5));
  } else if (text.rfind("wss://", 0) == 0) {
    as_http = "https://" + std::string(text.substr(6));
  } else {
    error = "'" + std::string(text) + "' is neither a path nor a ws:// or wss:// URL";
    return std::nullopt;
  }
  auto u = parse_url(as_http, error);
  if (!u) error = "'" + std::string(text) + "' is not a WebSocket URL";
  return u;
}

}  // namespace

const char* to_string(ws_error e) noexcept {
  switch (e) {
    case ws_error::none:
      return "none";
    case ws_error::connect_refused:
      return "connect_refused";
    case ws_error::connect_timeout:
      return "connect_timeout";
    case ws_error::resolve:
      return "resolve";
    case ws_error::tls:
      return "tls";
    case ws_error::too_many_open_files:
      return "too many open files";
    case ws_error::no_local_port:
      return "no local port";
    case ws_error::handshake:
      return "handshake";
    case ws_error::timeout:
      return "timeout";
    case ws_error::closed:
      return "closed";
    case ws_error::reset:
      return "reset";
    case ws_error::protocol:
      return "protocol";
    case ws_error::message_too_big:
      return "message_too_big";
    case ws_error::not_open:
      return "not_open";
    case ws_error::other:
      return "other";
  }
  return "other";
}

// wslay's callbacks: they only move bytes between wslay and the buffers (no I/O, no parking,
// no exception may cross its C frames).
struct websocket::callbacks {
  static websocket& self(void* user_data) { return *static_cast<websocket*>(user_data); }

  static ssize_t recv(wslay_event_context* ctx, std::uint8_t* buf, std::size_t len, int,
                      void* user_data) {
    websocket& ws = self(user_data);
    const std::size_t n = std::min(len, ws.in_end_ - ws.in_begin_);
    if (n == 0) {
      wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
      return -1;
    }
    std::memcpy(buf, ws.in_.data() + ws.in_begin_, n);
    ws.in_begin_ += n;
    ws.fed_ += n;
    return static_cast<ssize_t>(n);
  }

  static ssize_t send(wslay_event_context*, const std::uint8_t* data, std::size_t len, int,
                      void* user_data) {
    self(user_data).out_.append(reinterpret_cast<const char*>(data), len);
    return static_cast<ssize_t>(len);
  }

  // The mask only keeps proxies from mistaking frames for requests (section 10.3): an xorshift
  // seeded from the system's randomness at each open is enough for a load generator.
  static int genmask(wslay_event_context*, std::uint8_t* buf, std::size_t len, void* user_data) {
    std::uint32_t& x = self(user_data).mask_state_;
    for (std::size_t i = 0; i < len; ++i) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      buf[i] = static_cast<std::uint8_t>(x);
    }
    return 0;
  }

  static void frame_start(wslay_event_context*, const wslay_event_on_frame_recv_start_arg* arg,
                          void* user_data) {
    // Its header's size: lengths are minimal (wslay refuses others) and unmasked (likewise).
    const std::uint64_t n = arg->payload_length;
    websocket& ws = self(user_data);
    ws.frame_size_ = 2 + (n < 126 ? 0 : n < 65536 ? 2 : 8) + n;
    if (arg->opcode == WSLAY_TEXT_FRAME || arg->opcode == WSLAY_BINARY_FRAME) {
      ws.fragments_ = 1;
    } else if (arg->opcode == WSLAY_CONTINUATION_FRAME && ++ws.fragments_ > ws.max_fragments()) {
      ws.too_many_fragments_ = true;  // said once wslay is done with what was read (pump)
    }
  }

  static void frame_end(wslay_event_context*, void* user_data) {
    websocket& ws = self(user_data);
    ws.framed_ += ws.frame_size_;
  }

  static void message(wslay_event_context*, const wslay_event_on_msg_recv_arg* arg,
                      void* user_data) {
    if (arg->opcode == WSLAY_CONNECTION_CLOSE && arg->msg_length == 1)
      self(user_data).close_of_one_byte_ = true;  // said once wslay is done (pump)
    if (arg->opcode != WSLAY_TEXT_FRAME && arg->opcode != WSLAY_BINARY_FRAME) return;
    ws_message m;
    m.binary = arg->opcode == WSLAY_BINARY_FRAME;
    m.data.assign(reinterpret_cast<const char*>(arg->msg), arg->msg_length);
    self(user_data).messages_.push_back(std::move(m));
  }
};

websocket::websocket(url base, websocket_options options, std::shared_ptr<green::tls_context> tls,
                     bool verify_tls)
    : base_(std::move(base)), options_(std::move(options)), tls_(std::move(tls)), in_(read_chunk) {
  if (!tls_) tls_ = std::make_shared<green::tls_context>(green::tls_context::client(verify_tls));
}

websocket::~websocket() {
  drop();
}

void websocket::drop() noexcept {
  if (ctx_ != nullptr) wslay_event_context_free(ctx_);
  ctx_ = nullptr;
  tls_stream_.reset();
  plain_.close();
  messages_.clear();
  in_begin_ = in_end_ = 0;
  out_.clear();
  fed_ = framed_ = frame_size_ = 0;
  fragments_ = 0;
  too_many_fragments_ = false;
  close_of_one_byte_ = false;
}

ws_outcome websocket::fail(ws_error e, std::string message) {
  failure_ = ws_outcome{e, std::move(message)};
  if (ctx_ != nullptr) wslay_event_context_free(ctx_);
  ctx_ = nullptr;
  tls_stream_.reset();
  plain_.close();
  return failure_;
}

bool websocket::bound(green::time_point deadline) {
  const auto left = deadline - green::clock::now();
  if (left <= green::duration::zero()) return false;
  raw().set_timeout(left);
  return true;
}

ws_outcome websocket::connect(const url& where) {
  const std::string name = where.host + ":" + std::to_string(where.port);
  // As over HTTP: the connect timeout bounds the TCP connect and the TLS handshake together.
  const green::time_point opened_by = green::clock::now() + options_.connect_timeout;
  bool handshaking = false;
  try {
    plain_ = green::socket::connect(where.host, where.port, options_.connect_timeout);
    if (where.tls()) {
      plain_.set_deadline(opened_by);
      handshaking = true;
      tls_stream_.emplace(green::wrap_ssl(std::move(plain_), *tls_, green::tls_role::client,
                                          tls_server_name(base_, options_.server_name, where.host),
                                          alpn_http1));
    }
    return {};
  } catch (const green::operation_timed_out& e) {
    // The connect's own says what each of a name's addresses did.
    return {ws_error::connect_timeout,
            handshaking ? "TLS handshake with " + name + " timed out" : std::string(e.what())};
  } catch (const green::resolve_error& e) {
    return {ws_error::resolve, e.what()};
  } catch (const green::tls_error& e) {
    return {ws_error::tls, "TLS with " + name + ": " + e.what()};  // as over HTTP
  } catch (const green::no_local_port& e) {
    return {ws_error::no_local_port, e.what()};
  } catch (const std::system_error& e) {
    const int code = e.code().value();
    if (code == ECONNREFUSED) return {ws_error::connect_refused, e.what()};
    if (code == ECONNRESET) return {ws_error::reset, e.what()};
    if (code == EMFILE || code == ENFILE)
      return {ws_error::too_many_open_files, std::string(green::no_descriptor_says)};
    return {ws_error::other, e.what()};
  }
}

ws_outcome websocket::handshake(const url& where, const header_list& headers) {
  const std::string key = make_websocket_key();
  const auto offered = headers.get("sec-websocket-protocol");
  const auto deadline = green::clock::now() + options_.io_timeout;
  message_parser parser(message_parser::kind::response);
  // Only the headers matter: whatever follows a 101 is the first frames, and any other status
  // fails the upgrade whatever its body.
  parser.start(/*no_body=*/true, /*keep_body=*/false);
  std::size_t seen = 0;
  try {
    if (!bound(deadline)) throw green::operation_timed_out("handshake");
    const header_list* sent = &headers;
    header_list with_cookies;
    if (!headers.has("cookie")) {
      std::string jar =
          options_.jar ? options_.jar->header(where.host, where.target, where.tls()) : "";
      if (!jar.empty()) {
        with_cookies = headers;
        with_cookies.add("Cookie", std::move(jar));
        sent = &with_cookies;
      }
    }
    io().write_all(websocket_upgrade_request(where.target, where.authority(), key, *sent,
                                             options_.user_agent));
    while (!parser.complete() && !parser.failed()) {
      if (!bound(deadline)) throw green::operation_timed_out("handshake");
      const std::size_t n = io().read_some(std::span<char>(in_.data(), in_.size()));
      if (n == 0) {
        parser.finish();
        break;
      }
      in_begin_ = 0;
      in_end_ = n;
      in_begin_ = parser.feed(in_.data(), n);
      seen += in_begin_;
      if (!parser.complete() && seen > max_handshake_bytes)
        return fail(ws_error::handshake, "the answer to the upgrade has more than " +
                                             std::to_string(max_handshake_bytes) +
                                             " bytes of headers");
    }
  } catch (const green::operation_timed_out&) {
    return fail(ws_error::timeout, "no answer to the upgrade within " +
                                       std::to_string(options_.io_timeout.count()) + " ms");
  } catch (const green::tls_error& e) {
    return fail(ws_error::tls, e.what());
  } catch (const std::system_error& e) {
    return fail(ws_error::reset, std::string("during the upgrade: ") + e.what());
  }
  if (parser.failed()) return fail(ws_error::handshake, "bad answer: " + parser.error());
  std::string wrong = check_websocket_answer(parser.response(), key, offered.value_or(""));
  if (!wrong.empty()) {
    if (parser.response().status != 101 && tls_stream_ && tls_stream_->client_certificate_missing())
      wrong += " (the server asked for a client certificate and none is configured)";
    return fail(ws_error::handshake, std::move(wrong));
  }
  subprotocol_ = std::string(parser.response().headers.get("sec-websocket-protocol").value_or(""));
  return {};
}

ws_outcome websocket::open(std::string_view written, const header_list& headers) {
  drop();
  was_open_ = false;
  subprotocol_.clear();
  // A space or a byte above 0x7f goes percent-encoded, as over HTTP (requoted_target).
  const std::optional<std::string> quoted = requoted_target(written);
  const std::string_view target = quoted ? std::string_view(*quoted) : written;
  // Before the connect: a CR or LF in the upgrade's line or a header would split it on the wire.
  if (std::string why = check_request_target(target); !why.empty())
    return fail(ws_error::other, std::move(why));
  if (std::string why = check_header_fields(headers); !why.empty())
    return fail(ws_error::other, std::move(why));
  url where = base_;
  if (!target.empty() && target.front() == '/') {
    where.target = base_.path_prefix() + std::string(target);  // as the client's (url.hpp)
  } else {
    std::string error;
    auto u = parse_ws_url(target, error);
    if (!u) return fail(ws_error::other, error);
    where = std::move(*u);
  }
  for (const char* owned : {"upgrade", "connection", "sec-websocket-key", "sec-websocket-version",
                            "sec-websocket-extensions"})
    if (headers.has(owned))
      return fail(ws_error::other,
                  std::string("the header ") + owned + " belongs to the handshake: leave it out");
  if (auto c = connect(where); !c.ok()) return fail(c.error, std::move(c.message));
  if (auto h = handshake(where, headers); !h.ok()) return h;
  static const wslay_event_callbacks table{
      &callbacks::recv, &callbacks::send,      &callbacks::genmask, &callbacks::frame_start,
      nullptr,          &callbacks::frame_end, &callbacks::message};
  if (wslay_event_context_client_init(&ctx_, &table, this) != 0)
    return fail(ws_error::other, "out of memory for a WebSocket");
  wslay_event_config_set_max_recv_msg_length(ctx_, options_.max_message);
  std::random_device entropy;
  mask_state_ = entropy() | 1u;  // xorshift needs a state other than 0
  failure_ = {};
  was_open_ = true;
  return {};
}

bool websocket::flush(green::time_point deadline) {
  if (ctx_ == nullptr) return false;
  if (wslay_event_send(ctx_) != 0) {
    fail(ws_error::other, "the WebSocket cannot frame the message");
    return false;
  }
  if (out_.empty()) return true;
  try {
    if (!bound(deadline)) throw green::operation_timed_out("send");
    io().write_all(out_);
    out_.clear();
    return true;
  } catch (const green::operation_timed_out&) {
    // Part of a frame may be out: the connection cannot go on.
    fail(ws_error::timeout, "the server did not take a message within " +
                                std::to_string(options_.io_timeout.count()) + " ms");
  } catch (const green::tls_error& e) {
    fail(ws_error::tls, e.what());
  } catch (const std::system_error& e) {
    fail(ws_error::reset, std::string("while sending: ") + e.what());
  }
  return false;
}

ws_outcome websocket::send(std::string_view data, bool binary) {
  if (!is_open()) return failure_;
  if (!wslay_event_get_write_enabled(ctx_) || wslay_event_get_close_received(ctx_))
    return fail(ws_error::closed, "the server closed the WebSocket (" +
                                      close_reason(wslay_event_get_status_code_received(ctx_)) +
                                      ")");
  wslay_event_msg msg{static_cast<std::uint8_t>(binary ? WSLAY_BINARY_FRAME : WSLAY_TEXT_FRAME),
                      reinterpret_cast<const std::uint8_t*>(data.data()), data.size()};
  if (wslay_event_queue_msg(ctx_, &msg) != 0)
    return fail(ws_error::other, "the WebSocket cannot queue the message");
  if (!flush(green::clock::now() + options_.io_timeout)) return failure_;
  return {};
}

ws_outcome websocket::read_stopped() {
  if (wslay_event_get_close_received(ctx_))
    return fail(ws_error::closed, "the server closed the WebSocket (" +
                                      close_reason(wslay_event_get_status_code_received(ctx_)) +
                                      ")");
  switch (wslay_event_get_status_code_sent(ctx_)) {
    case WSLAY_CODE_MESSAGE_TOO_BIG:
      return fail(ws_error::message_too_big, "a message longer than " +
                                                 std::to_string(options_.max_message) +
                                                 " bytes (the client's max_message)");
    case WSLAY_CODE_INVALID_FRAME_PAYLOAD_DATA:
      return fail(ws_error::protocol,
                  "a text message, or a close frame's reason, that is not UTF-8");
    default:
      return fail(ws_error::protocol,
                  "the server sent a frame RFC 6455 forbids (masked, reserved bits or opcode, "
                  "a bad length or close code)");
  }
}

void websocket::pump() {
  const int rv = wslay_event_recv(ctx_);
  if (too_many_fragments_) {
    // As for a message over max_message: closed with 1009 (best effort), nothing more read.
    if (wslay_event_queue_close(ctx_, WSLAY_CODE_MESSAGE_TOO_BIG, nullptr, 0) == 0)
      flush(green::clock::now() + options_.io_timeout);
    fail(ws_error::message_too_big,
         "a message in more than " + std::to_string(max_fragments()) +
             " fragments (one per 256 bytes of the client's max_message, at least 1024: each "
             "takes more to hold than its payload)");
    return;
  }
  if (close_of_one_byte_) {
    // A protocol error (wslay took it as a close without a code): the connection is dropped,
    // not answered with the echo wslay queued.
    fail(ws_error::protocol,
         "the server's close frame carries 1 byte (RFC 6455 5.5.1: none, or a 2-byte status "
         "code and a reason)");
    return;
  }
  // Pongs and the echo of a close go out now; a failure to write them shows at the next read.
  if (rv == 0 && wslay_event_want_write(ctx_)) flush(green::clock::now() + options_.io_timeout);
  if (rv != 0 && ctx_ != nullptr) {
    // Our callbacks never fail: wslay met a frame it refuses before building any message.
    fail(ws_error::protocol,
         "the server sent a frame RFC 6455 forbids (a bad length, or a control frame that is "
         "fragmented or longer than 125 bytes)");
  }
}

ws_outcome websocket::receive(ws_message& out, green::time_point deadline) {
  for (;;) {
    if (!messages_.empty()) {
      out = std::move(messages_.front());
      messages_.pop_front();
      return {};
    }
    if (!is_open()) return failure_;
    if (!wslay_event_get_read_enabled(ctx_)) {
      // It stopped reading (a close, or an error): what it queued (the close) goes out first.
      if (wslay_event_want_write(ctx_)) flush(green::clock::now() + options_.io_timeout);
      if (ctx_ == nullptr) return failure_;
      return read_stopped();
    }
    if (in_begin_ == in_end_) {
      try {
        if (!bound(deadline)) throw green::operation_timed_out("receive");
        const std::size_t n = io().read_some(std::span<char>(in_.data(), in_.size()));
        if (n == 0)
          return fail(ws_error::reset, fed_ > framed_
                                           ? "the connection ended in the middle of a frame"
                                           : "the connection ended without a close frame");
        in_begin_ = 0;
        in_end_ = n;
      } catch (const green::operation_timed_out&) {
        // Nothing was consumed: the connection stays usable for a later receive.
        return {ws_error::timeout, "no message in time"};
      } catch (const green::tls_error& e) {
        return fail(ws_error::tls, e.what());
      } catch (const std::system_error& e) {
        return fail(ws_error::reset, e.what());
      }
    }
    pump();
  }
}

void websocket::close(std::uint16_t code, green::time_point deadline) {
  if (!is_open()) {
    drop();
    // One that never opened was not closed: a later call says why it is not open.
    if (was_open_)
      failure_ = {ws_error::not_open, "the WebSocket was closed"};
    else if (failure_.error != ws_error::not_open)
      failure_ = {ws_error::not_open, "the WebSocket never opened (" +
                                          std::string(to_string(failure_.error)) + ": " +
                                          failure_.message + ")"};
    return;
  }
  if (wslay_event_get_write_enabled(ctx_) && !wslay_event_get_close_sent(ctx_) &&
      wslay_event_queue_close(ctx_, code, nullptr, 0) == 0 && flush(deadline)) {
    // Waits for the server's close (section 7.1.1: the server closes the TCP connection first);
    // messages still on their way are dropped.
    ws_message ignored;
    while (is_open() && receive(ignored, deadline).ok()) {
    }
  }
  drop();
  failure_ = {ws_error::not_open, "the WebSocket was closed"};
}

}  // namespace swarmlet::http
