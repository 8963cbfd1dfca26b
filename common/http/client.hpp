#pragma once
// HTTP client on green sockets: one keep-alive connection per client (one client per simulated
// user), HTTP/1.1 (Content-Length and chunked bodies, HEAD/204/304) or HTTP/2 (h2 by ALPN over
// TLS, h2c by prior knowledge; see h2_connection), timeouts, bounded redirects, https through
// wrap_ssl, and a cookie jar. Failures of the server under test are returned as classified
// errors, never thrown.
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/green/socket.hpp"
#include "common/green/ssl.hpp"
#include "common/green/wait_list.hpp"
#include "http_message.hpp"
#include "message_parser.hpp"
#include "result.hpp"
#include "url.hpp"

namespace swarmlet::http {

/// The HTTP version a client speaks (the scenario's `http: {version}`).
enum class version_choice {
  /// https: HTTP/2 when the server offers it by ALPN, else HTTP/1.1; http: HTTP/1.1.
  automatic,
  http1_1,
  /// h2 by ALPN over TLS (a server that does not agree fails the connection), h2c by prior
  /// knowledge over plain TCP.
  http2
};

struct client_options {
  std::chrono::milliseconds connect_timeout{10'000};
  /// For the whole exchange: sending the request and receiving all of its response.
  std::chrono::milliseconds read_timeout{30'000};
  bool verify_tls = true;
  int max_redirects = 5;  ///< 0: return redirects as they are
  bool keep_body = true;  ///< false: count body bytes, store none
  std::string user_agent = "swarmlet";
  version_choice version = version_choice::automatic;
};

class client {
 public:
  /// A client of `base` (scheme, host, port; its path is ignored). TLS contexts are shared by
  /// the clients of one hub thread: pass one in for https (made from the options if null).
  client(url base, client_options options, std::shared_ptr<green::tls_context> tls = nullptr);
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// Sends `req` (its target is a path, or an absolute URL of the same origin) and waits for
  /// the response. Reuses the connection when the server allows it. Over HTTP/2, green threads
  /// of one hub may call it at the same time (see multiplexes()): each request is a stream of
  /// the one connection; over HTTP/1.1, one at a time.
  result send(const request& req);
  /// Whether send() may be called by several green threads at once: the connection is (or,
  /// with version http2, will be) HTTP/2. While another green thread is connecting with
  /// version automatic over TLS, parks until ALPN has decided.
  bool multiplexes();
  /// The version of the open connection (none when there is none).
  http::version connected_version() const noexcept;

  /// Cookies set by the server, sent back on later requests.
  const std::map<std::string, std::string>& cookies() const noexcept { return cookies_; }
  void clear_cookies() { cookies_.clear(); }
  /// Closes the connection (the next request opens another). An HTTP/2 connection that other
  /// green threads are still using is left to them, no longer shared with new requests.
  void close() noexcept;
  const url& base() const noexcept { return base_; }
  /// Whether later responses keep their bodies (they are counted either way).
  void keep_body(bool keep) noexcept { options_.keep_body = keep; }

 private:
  struct connection;
  result send_once(const request& req, bool head);
  /// One exchange on the HTTP/2 connection `c`; `retry` tells the server did not process it.
  result send_h2(const std::shared_ptr<connection>& c, const request& req, bool head, bool& retry);
  error_kind connect(std::string& message);
  /// Parks while another green thread of this client is connecting.
  void wait_for_connecting();
  void serialize(const request& req);
  void remember_cookies(const response& res);

  url base_;
  client_options options_;
  std::shared_ptr<green::tls_context> tls_;
  // Shared: an HTTP/2 connection stays alive for the streams still on it after the client
  // moved on to a new one (GOAWAY, close()).
  std::shared_ptr<connection> conn_;
  bool connecting_ = false;
  green::wait_list connect_waiters_;
  std::string cookie_header_;  // the jar as one value, for HTTP/2
  std::string authority_;      // base_'s host[:port], for HTTP/2's :authority
  message_parser parser_{message_parser::kind::response};
  std::string out_;       // the serialized request, reused
  std::vector<char> in_;  // the receive buffer, reused
  std::size_t in_begin_ = 0, in_end_ = 0;
  std::map<std::string, std::string> cookies_;
};

}  // namespace swarmlet::http
