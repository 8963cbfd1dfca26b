#pragma once
// HTTP client on green sockets: one keep-alive connection per origin per client (one client per
// simulated user; its base origin and the few others its absolute URLs name), HTTP/1.1
// (Content-Length and chunked bodies, HEAD/204/304) or HTTP/2 (h2 by ALPN over TLS, h2c by prior
// knowledge; see h2_connection), timeouts, bounded redirects, https through wrap_ssl, and a cookie
// jar. Failures of the server under test are returned as classified errors, never thrown.
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/green/socket.hpp"
#include "common/green/ssl.hpp"
#include "common/green/wait_list.hpp"
#include "cookie_jar.hpp"
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
  /// Bounds the TCP connect and the TLS handshake (https) together.
  std::chrono::milliseconds connect_timeout{10'000};
  /// For the whole exchange: sending the request and receiving all of its response.
  std::chrono::milliseconds read_timeout{30'000};
  bool verify_tls = true;
  int max_redirects = 5;  ///< 0: return redirects as they are
  bool keep_body = true;  ///< false: count body bytes, store none
  std::string user_agent = "swarmlet";
  version_choice version = version_choice::automatic;
  /// Sent as SNI and verified in the certificate instead of the host, for connections to the
  /// base's host (e.g. a target named by its IP address). Empty: the host.
  std::string server_name;
  /// PEM text: certificates trusted besides the system's (ca_pem); the certificate (and its
  /// chain) and private key shown to servers that ask for one (mTLS). Empty: none.
  std::string ca_pem, client_cert_pem, client_key_pem;
  /// Origins a client keeps a connection to at once, its base's included: beyond, the least
  /// recently used other one is closed (and opened again when needed).
  std::size_t max_origins = 8;
};

/// The TLS context of clients with `options` (verification, CAs, client certificate), to share
/// among the clients of one hub thread. Throws green::tls_error when a PEM text is bad or the
/// key is not the certificate's.
std::shared_ptr<green::tls_context> make_tls_context(const client_options& options);

/// The name sent as SNI, and verified in the certificate, on a TLS connection to `host` by a
/// client (HTTP or WebSocket) for `base` told `server_name`: that name for the base's host
/// when one is given (a target named by its IP address), else `host`.
std::string tls_server_name(const url& base, const std::string& server_name,
                            const std::string& host);

class client {
 public:
  /// A client of `base` (scheme, host, port; its path is ignored): requests whose target is a
  /// path go there. TLS contexts are shared by the clients of one hub thread: pass one in
  /// (made from the options, when first needed, if null). Cookies go to `jar` (shared with the
  /// user's other clients; a jar of its own if null).
  client(url base, client_options options, std::shared_ptr<green::tls_context> tls = nullptr,
         std::shared_ptr<cookie_jar> jar = nullptr);
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// Sends `req` (its target is a path of the base, or an absolute http(s) URL of any origin)
  /// and waits for the response, following redirects to any origin (max_redirects). Reuses
  /// each origin's connection when the server allows it. Over HTTP/2, green threads of one hub
  /// may call it at the same time (see multiplexes()): each request is a stream of its
  /// origin's one connection; over HTTP/1.1, one at a time. A request whose method, target or
  /// header fields break HTTP's syntax (a CR or LF that would split it on the wire: see
  /// request_syntax) is not sent: it fails as error_kind::other, saying why.
  /// `wrote`, when given, becomes true once a byte of the request may have gone out (its
  /// write began, or its HTTP/2 stream was handed to the connection): a caller whose send is
  /// cut short (a kill, a timeout around it) knows whether the server may have it.
  result send(const request& req, bool* wrote = nullptr);
  /// Whether send() of a request to `target` (a path or an absolute URL, as for send()) may
  /// run beside other green threads' HTTP/2 requests: its origin's connection is (or, with
  /// version http2, will be) HTTP/2. While another green thread is connecting there with
  /// version automatic over TLS, parks until ALPN has decided.
  bool multiplexes(std::string_view target = {});
  /// The version of the open connection to the origin of `target` (none when there is none,
  /// or when the server closed the HTTP/1.1 one and the hub saw it).
  http::version connected_version(std::string_view target = {}) const noexcept;

  /// The unexpired cookies the base's host may get (on some path), by name.
  std::map<std::string, std::string> cookies() const { return jar_->values_for(base_.host); }
  /// Every host's cookies, shared with the clients given the same jar.
  const std::shared_ptr<cookie_jar>& jar() const noexcept { return jar_; }
  /// Closes every connection (the next request opens another). An HTTP/2 connection that
  /// other green threads are still using is left to them, no longer shared with new requests.
  void close() noexcept;
  const url& base() const noexcept { return base_; }
  /// Whether later responses keep their bodies (they are counted either way).
  void keep_body(bool keep) noexcept { options_.keep_body = keep; }

 private:
  struct connection;
  struct origin;
  /// The origin `target` names (the base for a path; made, or taken from the least recently
  /// used other one, for a new absolute URL) and the path to ask it for. None (and `message`
  /// says why) for a URL that does not parse.
  std::shared_ptr<origin> route(std::string_view target, std::string_view& path,
                                std::string& message);
  std::shared_ptr<origin> find(std::string_view target) const;
  /// The request-target sent: `prefix` then `path` ("/" when both are empty). A relative target
  /// goes after the base's path; an absolute URL's path alone. Views, so that the request is
  /// sent as it is, not copied to change its target.
  struct wire_target {
    std::string_view prefix;
    std::string_view path;
  };
  /// One request on the origin's connection, for `target`; its deadline counts from `started`,
  /// when this hop began.
  result send_once(origin& o, const request& req, wire_target target, bool head,
                   green::time_point started, bool* wrote);
  /// One exchange on the HTTP/2 connection `c`; `unprocessed` and `closed_unanswered` say
  /// whether it may go again (h2_connection::outcome).
  result send_h2(origin& o, const std::shared_ptr<connection>& c, const request& req,
                 wire_target target, bool head, bool& unprocessed, bool& closed_unanswered);
  error_kind connect(origin& o, std::string& message);
  /// Parks while another green thread of this client is connecting to `o`.
  void wait_for_connecting(origin& o);
  void close(origin& o) noexcept;
  /// As close(o), without TLS's goodbye: for an exchange cut off while it unwinds.
  void abandon(origin& o) noexcept;
  void serialize(const origin& o, const request& req, wire_target target);
  /// Stores the cookies `res` sets, the answer to a request for `target` of `o`.
  void remember_cookies(const origin& o, wire_target target, const response& res);

  url base_;
  std::string prefix_;  // base_'s path, before every relative target (url::path_prefix())
  client_options options_;
  std::shared_ptr<green::tls_context> tls_;
  // [0] is the base's; shared with the green threads sending to one while it is replaced.
  std::vector<std::shared_ptr<origin>> origins_;
  std::uint64_t uses_ = 0;  // the clock of "least recently used"
  std::shared_ptr<cookie_jar> jar_;
  const connection* in_owner_ = nullptr;  // the connection whose bytes in_ holds
  message_parser parser_{message_parser::kind::response};
  std::string out_;  // the serialized request, reused
  // The receive buffer, reused. Not zero-filled: a page of it counts in the RSS only once a
  // response is read into it, and a user's responses rarely fill 16 KiB (zero-filling made it
  // 16 KiB of every user's memory; bench/many_users.sh).
  static constexpr std::size_t in_size = 16 * 1024;
  std::unique_ptr<char[]> in_ = std::make_unique_for_overwrite<char[]>(in_size);
  std::size_t in_begin_ = 0, in_end_ = 0;
};

}  // namespace swarmlet::http
