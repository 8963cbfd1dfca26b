#pragma once
// A WebSocket client (RFC 6455) on a green socket: ws:// over TCP, wss:// over the TLS the
// HTTP client uses. wslay does the framing (masking, fragments, control frames, UTF-8 of text,
// the size bound); this class does the handshake and the I/O, parking only the calling green
// thread. Pings are answered and the peer's close is echoed while the user sends or waits for
// a message. Failures of the peer are returned as named outcomes, never thrown: a handshake
// that is not a valid 101, a frame the RFC forbids, a message over the bound, a connection
// that ends without a close frame (or in the middle of one), a timeout.
#include <algorithm>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/green/clock.hpp"
#include "common/green/socket.hpp"
#include "common/green/ssl.hpp"
#include "cookie_jar.hpp"
#include "http_message.hpp"
#include "url.hpp"

struct wslay_event_context;

namespace swarmlet::http {

/// How a WebSocket operation ended.
enum class ws_error {
  none,
  connect_refused,
  connect_timeout,
  resolve,
  tls,
  too_many_open_files,
  no_local_port,    ///< as http::error_kind::no_local_port
  handshake,        ///< the server's answer is not a valid upgrade (not 101, wrong accept, ...)
  timeout,          ///< nothing (or nothing complete) within the time given
  closed,           ///< the server closed the WebSocket with a close frame
  reset,            ///< the connection ended without a close frame
  protocol,         ///< the server sent what RFC 6455 forbids (a masked frame, a bad opcode, ...)
  message_too_big,  ///< a message longer than websocket_options::max_message
  not_open,         ///< used before a successful open(), or after close()
  other
};
/// "connect_refused", "handshake", "timeout", "closed", "reset", "protocol", ...
const char* to_string(ws_error e) noexcept;

struct ws_outcome {
  ws_error error = ws_error::none;
  std::string message;  ///< one line, for the failure tables
  bool ok() const noexcept { return error == ws_error::none; }
};

struct ws_message {
  bool binary = false;
  std::string data;
};

struct websocket_options {
  /// Bounds the TCP connect and the TLS handshake (wss) together.
  std::chrono::milliseconds connect_timeout{10'000};
  /// Bounds the upgrade after the connection is open, and every send.
  std::chrono::milliseconds io_timeout{30'000};
  /// A longer message from the server fails the connection (close 1009).
  std::size_t max_message = std::size_t{1} << 20;
  std::string user_agent = "swarmlet";
  /// Sent as SNI and verified in the certificate instead of the host, for connections to the
  /// base's host, as client_options::server_name (tls_server_name). Empty: the host.
  std::string server_name;
  /// The user's cookie jar (its HTTP client's): the upgrade carries the cookies it holds for
  /// the upgrade's URL (its host and path; Secure ones over wss only) unless the caller's
  /// headers have a Cookie, as a browser's carries the page's (a login's session cookie, say).
  /// May be null.
  std::shared_ptr<const cookie_jar> jar;
};

class websocket {
 public:
  /// A client for `base` (http or https: ws or wss); TLS sessions use `tls` (made from
  /// `verify_tls` if null and needed).
  websocket(url base, websocket_options options, std::shared_ptr<green::tls_context> tls = nullptr,
            bool verify_tls = true);
  /// Closes the socket without a closing handshake (never parks).
  ~websocket();
  websocket(const websocket&) = delete;
  websocket& operator=(const websocket&) = delete;

  /// Connects and upgrades. `target` is a path (relative to the base) or an absolute
  /// ws:// or wss:// URL; `headers` are added to the upgrade request (an offered
  /// Sec-WebSocket-Protocol is checked against the answer). Parks until open or failed. A
  /// connection already open is dropped first. A target or header that breaks HTTP's syntax (a
  /// CR or LF: see request_syntax) fails as ws_error::other before anything is sent.
  ws_outcome open(std::string_view target, const header_list& headers = {});
  /// Sends one message (text unless `binary`), parking until it is written (io_timeout).
  ws_outcome send(std::string_view data, bool binary = false);
  /// The next message, parking until one is complete or `deadline`. A timeout leaves the
  /// connection usable; any other failure ends it (later calls return the same failure).
  ws_outcome receive(ws_message& out, green::time_point deadline);
  /// The closing handshake: sends close `code`, waits for the server's (until `deadline`),
  /// and closes the socket. Never fails: a server that does not answer is left. Later calls
  /// fail as not_open: "the WebSocket was closed", or, if the last open() failed, "the
  /// WebSocket never opened (its failure)".
  void close(std::uint16_t code = 1000, green::time_point deadline = green::clock::now());
  bool is_open() const noexcept { return ctx_ != nullptr && failure_.ok(); }
  /// The Sec-WebSocket-Protocol the server chose (empty: none).
  const std::string& subprotocol() const noexcept { return subprotocol_; }

 private:
  struct callbacks;
  green::stream& io() { return tls_stream_ ? static_cast<green::stream&>(*tls_stream_) : plain_; }
  green::socket& raw() { return tls_stream_ ? tls_stream_->raw() : plain_; }
  ws_outcome connect(const url& where);
  ws_outcome handshake(const url& where, const header_list& headers);
  /// Hands what is buffered to wslay, then writes what it queued (pongs, close replies).
  void pump();
  /// Writes what wslay queued; false (and the failure kept) when the socket fails.
  bool flush(green::time_point deadline);
  /// Ends the connection with `failure` (kept for later calls) and returns it.
  ws_outcome fail(ws_error e, std::string message);
  /// The failure once wslay stopped reading: the peer's close, or the error wslay found.
  ws_outcome read_stopped();
  void drop() noexcept;
  /// Sets the socket's timeout to what is left of `deadline`; false when nothing is left.
  bool bound(green::time_point deadline);

  url base_;
  websocket_options options_;
  std::shared_ptr<green::tls_context> tls_;
  green::socket plain_;
  std::optional<green::tls_stream> tls_stream_;
  wslay_event_context* ctx_ = nullptr;
  ws_outcome failure_{ws_error::not_open, "no WebSocket is open"};
  bool was_open_ = false;  // the last open() succeeded: what ends it now closes an open one
  std::string subprotocol_;
  std::deque<ws_message> messages_;  // complete, not yet received
  std::vector<char> in_;             // read from the socket, not yet given to wslay
  std::size_t in_begin_ = 0, in_end_ = 0;
  std::string out_;  // frames wslay made, not yet written
  // Bytes given to wslay, and bytes of the frames it finished: a connection that ends with
  // the first ahead of the second ended in the middle of a frame.
  std::uint64_t fed_ = 0, framed_ = 0, frame_size_ = 0;
  // The frames of the message coming in, and whether they passed max_fragments(): wslay holds
  // each in a block of its own, 64 bytes or so beyond its payload, so a message of 1-byte
  // fragments within max_message took a hundred times its size.
  std::size_t fragments_ = 0;
  bool too_many_fragments_ = false;
  // The server's close frame carried 1 byte: no status code, and not none (RFC 6455 5.5.1).
  // wslay reads it as a close without a code.
  bool close_of_one_byte_ = false;
  std::size_t max_fragments() const noexcept {
    return std::max<std::size_t>(1024, options_.max_message / 256);
  }
  std::uint32_t mask_state_ = 0;
};

}  // namespace swarmlet::http
