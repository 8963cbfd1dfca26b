#pragma once
// HTTP/1.1 client on green sockets: one keep-alive connection per client (one client per
// simulated user), Content-Length and chunked bodies, HEAD/204/304, timeouts, bounded
// redirects, https through wrap_ssl, and a cookie jar. Failures of the server under test are
// returned as classified errors, never thrown.
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/green/socket.hpp"
#include "common/green/ssl.hpp"
#include "http_message.hpp"
#include "message_parser.hpp"
#include "url.hpp"

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
  other
};
const char* to_string(error_kind kind) noexcept;

struct result {
  http::response response;
  error_kind error = error_kind::none;
  std::string error_message;  ///< one line, e.g. "connect to 127.0.0.1:9: Connection refused"
  std::chrono::steady_clock::duration elapsed{};
  bool ok() const noexcept { return error == error_kind::none; }
};

struct client_options {
  std::chrono::milliseconds connect_timeout{10'000};
  /// For the whole exchange: sending the request and receiving all of its response.
  std::chrono::milliseconds read_timeout{30'000};
  bool verify_tls = true;
  int max_redirects = 5;  ///< 0: return redirects as they are
  bool keep_body = true;  ///< false: count body bytes, store none
  std::string user_agent = "swarmlet";
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
  /// the response. Reuses the connection when the server allows it.
  result send(const request& req);

  /// Cookies set by the server, sent back on later requests.
  const std::map<std::string, std::string>& cookies() const noexcept { return cookies_; }
  void clear_cookies() { cookies_.clear(); }
  /// Closes the connection (the next request opens another).
  void close() noexcept;
  const url& base() const noexcept { return base_; }
  /// Whether later responses keep their bodies (they are counted either way).
  void keep_body(bool keep) noexcept { options_.keep_body = keep; }

 private:
  struct connection;
  result send_once(const request& req, bool head);
  error_kind connect(std::string& message);
  void serialize(const request& req);
  void remember_cookies(const response& res);

  url base_;
  client_options options_;
  std::shared_ptr<green::tls_context> tls_;
  std::unique_ptr<connection> conn_;
  message_parser parser_{message_parser::kind::response};
  std::string out_;       // the serialized request, reused
  std::vector<char> in_;  // the receive buffer, reused
  std::size_t in_begin_ = 0, in_end_ = 0;
  std::map<std::string, std::string> cookies_;
};

}  // namespace swarmlet::http
