#pragma once
// One HTTP/2 connection of a client, driven by nghttp2's session API (mem_send / mem_recv over
// a green stream; no threads, no callbacks into user code). Any number of green threads of the
// same hub may exchange on it at once, each as a stream:
// - reading: no thread of its own. A green thread waiting for its response reads the connection
//   itself when no other does (the reader); the others park on their own streams and are woken
//   when the reader's nghttp2 callbacks complete them. A reader that leaves (its response came,
//   it timed out, it was killed) wakes another waiter to take over.
// - writing: frames nghttp2 queues are copied out and written by one green thread at a time;
//   whoever finds the writer busy leaves its frames to it (it writes until nothing is queued).
// The server's misbehaviour (GOAWAY, RST_STREAM, frames nghttp2 refuses) ends as a classified,
// worded result of the streams it touched, never an exception.
#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/green/clock.hpp"
#include "common/green/socket.hpp"
#include "common/green/stream.hpp"
#include "result.hpp"

namespace swarmlet::http {

/// What the client adds to every request of a connection.
struct h2_request_context {
  std::string_view scheme;      ///< "https" or "http"
  std::string_view authority;   ///< host[:port], unless the request has a Host header
  std::string_view user_agent;  ///< empty: none
  std::string_view cookie;      ///< the cookie jar as one header value; empty: none
  bool keep_body = true;        ///< false: count body bytes, store none
  /// :path is `path_prefix` then `path` ("/" when both are empty), not the request's target
  /// (which may be a whole URL, or go after the base's path).
  std::string_view path_prefix;
  std::string_view path;
};

class h2_connection {
 public:
  /// Speaks HTTP/2 on `io` (TLS that agreed on "h2" by ALPN, or a plain socket: prior
  /// knowledge), whose socket is `raw`; both must outlive this object. Does no I/O until the
  /// first exchange (the preface and settings go out with its request).
  h2_connection(green::stream& io, green::socket& raw);
  ~h2_connection();
  h2_connection(const h2_connection&) = delete;
  h2_connection& operator=(const h2_connection&) = delete;

  /// What one exchange gives: the result, and whether the request may go again on a new
  /// connection.
  struct outcome {
    http::result result;
    /// The server surely did not process it (a refused stream, a graceful GOAWAY below it, a
    /// stream never submitted because the connection ended first): any method may go again.
    bool unprocessed = false;
    /// A reused connection closed before any of its answer came: the server may have processed
    /// it, so only an idempotent request goes again (RFC 9110 9.2.2), as over HTTP/1.1.
    bool closed_unanswered = false;
  };
  /// Sends `req` on a new stream and parks until its response is complete or `timeout` has
  /// passed. With other streams in flight, it first lets I/O settle (hub::yield_until_io_settles:
  /// bounded by the hub's limits, not cut by the timeout, though its time counts against it),
  /// so that requests go out together.
  /// Green threads may call it concurrently. Throws only what is injected while it parks
  /// (green_exit, timeout_error); its stream is then cancelled (RST_STREAM CANCEL).
  outcome exchange(const request& req, bool head, const h2_request_context& context,
                   std::chrono::milliseconds timeout);

  /// Whether a new stream may start here: not failed, no GOAWAY either way.
  bool accepts_streams() const noexcept;
  /// Streams whose exchange is under way.
  std::size_t streams_in_flight() const noexcept { return streams_.size(); }

 private:
  struct stream;
  class exchange_scope;
  friend struct h2_callbacks;

  stream* find(std::int32_t id) const noexcept;
  /// Reads once (as the reader) and hands the bytes to nghttp2, then writes what it queued.
  void read_once(green::time_point until);
  /// Writes every frame nghttp2 has queued, unless another green thread is writing (it will).
  void flush(green::time_point until);
  /// Ends the connection for every stream in flight: they fail with `kind` and `message`.
  void fail(error_kind kind, std::string message);
  /// The connection is finished when nghttp2 wants neither to read nor to write (after a
  /// GOAWAY, either way): say why to the streams still waiting.
  void check_session_over();
  /// Wakes one waiter whose stream is not complete, to read in place of a reader that left.
  void hand_off_reading() noexcept;
  /// The result of a closed stream (its response is moved out).
  outcome outcome_of(stream& s) const;
  std::string goaway_text() const;

  green::stream& io_;
  green::socket& raw_;
  nghttp2_session* session_ = nullptr;
  std::vector<stream*> streams_;  // in flight; few, so a vector beats a map
  bool reading_ = false;
  bool writing_ = false;
  bool failed_ = false;
  error_kind failure_kind_ = error_kind::none;
  std::string failure_;
  std::uint64_t completed_ = 0;  // streams answered on this connection
  bool goaway_received_ = false;
  std::uint32_t goaway_code_ = 0;
  std::int32_t goaway_last_stream_ = 0;
  std::string goaway_debug_;        // the server's GOAWAY debug text, sanitised
  bool heard_from_server_ = false;  ///< a byte of the server has come (read())
  std::string local_goaway_;        // why nghttp2 ended the connection (a protocol error it saw)
  std::string last_lib_error_;      // nghttp2's last complaint about what the server sent
  std::string out_;                 // frames copied out of nghttp2, being written
  std::vector<char> in_;
};

}  // namespace swarmlet::http
