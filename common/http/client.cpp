#include "client.hpp"

#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

#include "ascii_text.hpp"
#include "auth.hpp"
#include "common/green/clock.hpp"
#include "common/green/errors.hpp"
#include "common/green/hub.hpp"
#include "content_coding.hpp"
#include "h2_connection.hpp"
#include "redirect_location.hpp"
#include "request_syntax.hpp"

namespace swarmlet::http {

namespace {
// ALPN offers (wire format: each name after its length).
constexpr std::string_view alpn_h2_or_http1 = "\x02h2\x08http/1.1";
constexpr std::string_view alpn_h2 = "\x02h2";
}  // namespace

struct client::connection {
  std::optional<green::socket> plain;
  std::optional<green::tls_stream> tls;
  // Declared after the streams it speaks on, so it goes first.
  std::unique_ptr<h2_connection> h2;
  bool fresh = true;                        // no request completed on it yet
  std::uint32_t read_events_at_answer = 0;  // the raw socket's, when its last answer was read
  green::stream& io() { return tls ? static_cast<green::stream&>(*tls) : *plain; }
  green::socket& raw() { return tls ? tls->raw() : *plain; }
  bool usable() const noexcept { return !h2 || h2->accepts_streams(); }
  /// The server closed it (a FIN or reset seen by the hub, no syscall): a kept-alive HTTP/1.1
  /// connection its keep-alive timeout ended. Only where the hub reports hangups (epoll,
  /// io_uring); elsewhere the first request on it finds out.
  bool peer_closed() const noexcept {
    const green::socket& s = tls ? tls->raw() : *plain;
    return s.valid() && s.watched().watch().hangup;
  }
  /// Bytes (or a close) arrived on it since its last response, while it was idle: they answer
  /// no request (this client sends one at a time), and read as the next request's response
  /// they would shift every answer after it by one. Seen as the hub saw the arrival, where it
  /// polls idle sockets (epoll, io_uring), as Go's net/http drops such a connection.
  bool spoke_while_idle() {
    if (!raw().valid()) return false;
    if (!tls) return raw().input_pending();
    // OpenSSL reads the socket itself, so the hub's readable flag stays set after an answer
    // (a peek before every request): a read event since the answer tells of arrivals.
    return tls->holds_input() ||
           (raw().watched().watch().read_events != read_events_at_answer && raw().input_pending());
  }
};

struct client::origin {
  url base;               // its target unused
  std::string key;        // scheme://authority
  std::string authority;  // host[:port], for Host and HTTP/2's :authority
  std::string server_name;
  // Shared: an HTTP/2 connection stays alive for the streams still on it after the client
  // moved on to a new one (GOAWAY, close()).
  std::shared_ptr<connection> conn;
  bool connecting = false;
  green::wait_list connect_waiters;
  std::uint64_t last_use = 0;
};

namespace {
/// A TLS failure after the handshake, named as the handshake's is (with the server), with the
/// note when the server wanted a client certificate none was given for.
std::string tls_failure(const url& base, std::string_view what, bool no_certificate) {
  return "TLS with " + base.host + ":" + std::to_string(base.port) + ": " + std::string(what) +
         (no_certificate ? no_client_certificate_note : "");
}

/// Whether `bytes` begin with an HTTP/2 frame of the connection itself (stream 0): the
/// SETTINGS or GOAWAY a server that speaks only h2c sends to an HTTP/1.1 request, where
/// http-parser sees "invalid constant string".
bool looks_like_http2(std::string_view bytes) {
  if (bytes.size() < 9) return false;
  const auto type = static_cast<unsigned char>(bytes[3]);
  const bool stream_zero = bytes[5] == 0 && bytes[6] == 0 && bytes[7] == 0 && bytes[8] == 0;
  return bytes[0] == 0 && (type == 0x4 || type == 0x7) && stream_zero;
}

/// Why a response with `status` (not 200 to 599) is no answer.
std::string no_final_status(int status) {
  // Three digits, as it came (000, 099), when it had three.
  std::string digits = std::to_string(status);
  if (digits.size() < 3) digits.insert(0, 3 - digits.size(), '0');
  return "status " + digits +
         (status == 101 ? " (Switching Protocols) to a request for no upgrade"
                        : " is not a final HTTP status (200 to 599)");
}

/// Whether two origins (scheme://authority) are one: a host name is case-insensitive (RFC
/// 3986 3.2.2), so "http://Shop.test" and "http://shop.test" share their connection, and a
/// redirect from one to the other is not one to another server (Python's requests and curl
/// keep its Authorization).
bool same_origin(std::string_view a, std::string_view b) {
  return equals_ignoring_case(a, b);
}

bool is_absolute(std::string_view target) {
  return target.rfind("http://", 0) == 0 || target.rfind("https://", 0) == 0;
}

/// The path a request for `prefix` then `path` asks for (cookies match it), its query and
/// fragment cut off.
std::string cookie_path(std::string_view prefix, std::string_view path) {
  std::string out(prefix);
  out += path;
  return std::string(path_of(out));
}
}  // namespace

std::shared_ptr<green::tls_context> make_tls_context(const client_options& options) {
  auto c = std::make_shared<green::tls_context>(green::tls_context::client(options.verify_tls));
  if (!options.ca_pem.empty()) c->trust_pem(options.ca_pem);
  if (!options.client_cert_pem.empty() || !options.client_key_pem.empty())
    c->use_certificate_pem(options.client_cert_pem, options.client_key_pem);
  return c;
}

std::string tls_server_name(const url& base, const std::string& server_name,
                            const std::string& host) {
  return host == base.host && !server_name.empty() ? server_name : host;
}

client::client(url base, client_options options, std::shared_ptr<green::tls_context> tls,
               std::shared_ptr<cookie_jar> jar)
    : base_(std::move(base)),
      prefix_(base_.path_prefix()),
      options_(std::move(options)),
      tls_(std::move(tls)),
      jar_(jar ? std::move(jar) : std::make_shared<cookie_jar>()) {
  auto o = std::make_shared<origin>();
  o->base = base_;
  o->key = base_.origin();
  o->authority = base_.authority();
  o->server_name = tls_server_name(base_, options_.server_name, base_.host);
  origins_.push_back(std::move(o));
}

client::~client() = default;

std::shared_ptr<client::origin> client::find(std::string_view target) const {
  if (!is_absolute(target)) return origins_.front();
  std::string error;
  const auto u = parse_url(std::string(target), error);
  if (!u) return nullptr;
  const std::string key = u->origin();
  for (const auto& o : origins_)
    if (same_origin(o->key, key)) return o;
  return nullptr;
}

std::shared_ptr<client::origin> client::route(std::string_view target, std::string_view& path,
                                              std::string& message) {
  path = target;
  if (!is_absolute(target)) {
    origins_.front()->last_use = ++uses_;
    return origins_.front();
  }
  const auto u = parse_url(std::string(target), message);
  if (!u) return nullptr;
  // The path and query follow the authority, which ends at the first '/', '?' or '#' after
  // "scheme://"; a query without a path is the root's ("/?q", see send()).
  const auto authority_end = target.find_first_of("/?#", target.find("//") + 2);
  path =
      authority_end == std::string_view::npos ? std::string_view() : target.substr(authority_end);
  path = path.substr(0, path.find('#'));  // a fragment is the browser's, never sent
  const std::string key = u->origin();
  for (const auto& o : origins_)
    if (same_origin(o->key, key)) {
      o->last_use = ++uses_;
      return o;
    }
  auto o = std::make_shared<origin>();
  o->base = *u;
  o->key = key;
  o->authority = u->authority();
  o->server_name = tls_server_name(base_, options_.server_name, u->host);
  o->last_use = ++uses_;
  if (origins_.size() >= std::max<std::size_t>(options_.max_origins, 2)) {
    // The least recently used other origin that no green thread is sending to gives its place.
    origin* oldest = nullptr;
    std::size_t at = 0;
    for (std::size_t i = 1; i < origins_.size(); ++i)
      if (origins_[i].use_count() == 1 && (!oldest || origins_[i]->last_use < oldest->last_use)) {
        oldest = origins_[i].get();
        at = i;
      }
    if (oldest) {
      close(*oldest);
      origins_[at] = o;
      return o;
    }
  }
  origins_.push_back(o);
  return o;
}

namespace {
/// A 1xx response other than 101 Switching Protocols: not the answer, one comes after it.
bool interim(int status) noexcept {
  return status >= 100 && status < 200 && status != 101;
}

/// Whether sending `req` twice does what sending it once does (RFC 9110 9.2.2: the idempotent
/// methods), or its Idempotency-Key says the server makes it so (as Go's net/http reads it):
/// only such a request goes again when a connection closes before answering it.
bool idempotent(const request& req) {
  static constexpr std::string_view methods[] = {"GET",   "HEAD", "OPTIONS",
                                                 "TRACE", "PUT",  "DELETE"};
  for (const auto m : methods)
    if (req.method == m) return true;
  return req.headers.has("idempotency-key") || req.headers.has("x-idempotency-key");
}

/// How many times a request the server surely did not process (HTTP/2: a refused stream,
/// streams above a graceful GOAWAY's last) goes again: a server that ends its connections
/// every few requests (nginx's keepalive_requests) under many streams may turn one away more
/// than once, and no browser reports that as a failure.
constexpr int max_unprocessed_resends = 8;

/// What a failure on a reused connection before any answer adds for a request that is not
/// sent again.
std::string not_sent_again(const request& req) {
  if (idempotent(req)) return {};
  return " (a " + req.method + " is not sent again: the server may have processed it)";
}
}  // namespace

void client::close(origin& o) noexcept {
  const bool shared = o.conn && o.conn->h2 && o.conn->h2->streams_in_flight() > 0;
  if (o.conn && o.conn->tls && !shared) o.conn->tls->close();
  abandon(o);
}

void client::abandon(origin& o) noexcept {
  if (o.conn.get() == in_owner_) {
    in_owner_ = nullptr;
    in_begin_ = in_end_ = 0;
  }
  o.conn.reset();
}

void client::close() noexcept {
  for (const auto& o : origins_) close(*o);
}

http::version client::connected_version(std::string_view target) const noexcept {
  const auto o = find(target);
  if (!o || !o->conn || (!o->conn->h2 && o->conn->peer_closed())) return version::none;
  return o->conn->h2 ? version::http2 : version::http1_1;
}

void client::wait_for_connecting(origin& o) {
  while (o.connecting) green::hub::get().park(o.connect_waiters, std::nullopt, "HTTP connect");
}

bool client::multiplexes(std::string_view target) {
  if (options_.version == version_choice::http1_1) return false;
  std::string_view path;
  std::string error;
  const auto o = route(target, path, error);
  if (!o) return false;
  if (options_.version == version_choice::automatic && !o->base.tls()) return false;
  wait_for_connecting(*o);
  if (o->conn) return o->conn->h2 != nullptr;
  return options_.version == version_choice::http2;
}

error_kind client::connect(origin& o, std::string& message) {
  const url& base = o.base;
  const std::string where = base.host + ":" + std::to_string(base.port);
  // Other green threads of this client (HTTP/2 streams to be) wait for this connection rather
  // than open their own.
  o.connecting = true;
  struct connected {
    origin& o;
    ~connected() {
      o.connecting = false;
      o.connect_waiters.wake_all();
    }
  } done{o};
  // The connect timeout bounds the TCP connect and the TLS handshake together, as curl's
  // --connect-timeout does: a server that accepts and never answers the ClientHello has not
  // opened a connection, and a timeout then is the handshake's, not the TCP connect's.
  const green::time_point opened_by = green::clock::now() + options_.connect_timeout;
  bool handshaking = false;
  try {
    auto c = std::make_shared<connection>();
    c->plain.emplace(green::socket::connect(base.host, base.port, options_.connect_timeout));
    c->plain->set_timeout(options_.read_timeout);
    if (base.tls()) {
      if (!tls_) tls_ = make_tls_context(options_);
      const std::string_view offer =
          options_.version == version_choice::automatic ? alpn_h2_or_http1
          : options_.version == version_choice::http2   ? alpn_h2
                                                        : std::string_view();
      c->plain->set_deadline(opened_by);
      handshaking = true;
      c->tls.emplace(green::wrap_ssl(std::move(*c->plain), *tls_, green::tls_role::client,
                                     o.server_name, offer));
      c->plain.reset();
      c->tls->raw().set_timeout(options_.read_timeout);  // clears the connect's deadline
      if (c->tls->alpn() == "h2") {
        c->h2 = std::make_unique<h2_connection>(*c->tls, c->tls->raw());
      } else if (options_.version == version_choice::http2) {
        message = "the server at " + where +
                  " did not agree to HTTP/2 by ALPN (http: {version: \"2\"} requires it)";
        return error_kind::tls;
      }
    } else if (options_.version == version_choice::http2) {
      c->h2 = std::make_unique<h2_connection>(*c->plain, *c->plain);
    }
    o.conn = std::move(c);
    return error_kind::none;
  } catch (const green::operation_timed_out& e) {
    // The connect's own says what each of a name's addresses did.
    message = handshaking ? "TLS handshake with " + where + " timed out" : e.what();
    return error_kind::connect_timeout;
  } catch (const green::resolve_error& e) {
    message = e.what();
    return error_kind::resolve;
  } catch (const green::tls_error& e) {
    message = "TLS with " + where + ": " + e.what();
    // Offered h2 alone, a server without it may refuse the handshake rather than pick nothing.
    if (options_.version == version_choice::http2 &&
        message.find("no application protocol") != std::string::npos)
      message = "the server at " + where +
                " did not agree to HTTP/2 by ALPN (http: {version: \"2\"} requires it): " + message;
    return error_kind::tls;
  } catch (const green::no_local_port& e) {
    message = e.what();
    return error_kind::no_local_port;
  } catch (const std::system_error& e) {
    message = e.what();
    if (e.code().value() == ECONNREFUSED) return error_kind::connect_refused;
    if (e.code().value() == ECONNRESET) return error_kind::reset;
    if (e.code().value() == EMFILE || e.code().value() == ENFILE) {
      message = green::no_descriptor_says;
      return error_kind::too_many_open_files;
    }
    return error_kind::other;
  }
}

void client::serialize(const origin& o, const request& req, wire_target target) {
  // Literals as string_views: their lengths are known here, not counted again per request.
  using namespace std::string_view_literals;
  out_.clear();
  out_ += req.method;
  out_ += ' ';
  if (target.prefix.empty() && target.path.empty()) out_ += '/';
  out_ += target.prefix;
  out_ += target.path;
  out_ += " HTTP/1.1\r\n"sv;
  if (!req.headers.has("host")) {
    out_ += "Host: "sv;
    out_ += o.authority;
    out_ += "\r\n"sv;
  }
  if (!req.headers.has("user-agent") && !options_.user_agent.empty()) {
    out_ += "User-Agent: "sv;
    out_ += options_.user_agent;
    out_ += "\r\n"sv;
  }
  if (!jar_->cookies().empty() && !req.headers.has("cookie")) {
    const std::size_t before = out_.size();
    out_ += "Cookie: "sv;
    if (jar_->append_header(out_, o.base.host, cookie_path(target.prefix, target.path),
                            o.base.tls()))
      out_ += "\r\n"sv;
    else
      out_.resize(before);  // none for this path or scheme
  }
  for (const auto& [k, v] : req.headers.fields()) {
    out_ += k;
    out_ += ": "sv;
    out_ += v;
    out_ += "\r\n"sv;
  }
  if (!req.body.empty() || req.method == "POST" || req.method == "PUT" || req.method == "PATCH") {
    if (!req.headers.has("content-length")) {
      out_ += "Content-Length: "sv;
      out_ += std::to_string(req.body.size());
      out_ += "\r\n"sv;
    }
  }
  out_ += "\r\n"sv;
  out_ += req.body;
}

void client::remember_cookies(const origin& o, wire_target target, const response& res) {
  std::optional<std::string> path;  // made for the first Set-Cookie, if any
  for (const auto& [name, value] : res.headers.fields()) {
    if (!equals_ignoring_case(name, "set-cookie")) continue;
    if (!path) path = cookie_path(target.prefix, target.path);
    jar_->set(value, o.base.host, *path, o.base.tls());
  }
}

result client::send_h2(origin& o, const std::shared_ptr<connection>& c, const request& req,
                       wire_target target, bool head, bool& unprocessed, bool& closed_unanswered) {
  // This request's own: green threads of one user share the client, and the exchange may park
  // before it reads the value (a member was rewritten by another request meanwhile).
  std::string cookie;
  if (!jar_->cookies().empty())
    jar_->append_header(cookie, o.base.host, cookie_path(target.prefix, target.path), o.base.tls());
  const h2_request_context context{o.base.tls() ? "https" : "http",
                                   o.authority,
                                   options_.user_agent,
                                   cookie,
                                   options_.keep_body,
                                   target.prefix,
                                   target.path};
  auto out = c->h2->exchange(req, head, context, req.timeout.value_or(options_.read_timeout));
  // A connection that takes no more streams is left to the ones still on it.
  if (o.conn == c && !c->usable()) o.conn.reset();
  unprocessed = out.unprocessed;
  closed_unanswered = out.closed_unanswered;
  if (out.result.ok()) remember_cookies(o, target, out.result.response);
  out.result.client_certificate_missing = c->tls && c->tls->client_certificate_missing();
  if (out.result.error == error_kind::tls) {  // named as over HTTP/1.1
    out.result.error_message =
        tls_failure(o.base, out.result.error_message, out.result.client_certificate_missing);
  }
  return std::move(out.result);
}

result client::send_once(origin& o, const request& req, wire_target target, bool head,
                         green::time_point started, bool* wrote) {
  result r;
  // A kept-alive connection the server closed while it was idle is not used (the hub saw its
  // FIN), nor one it wrote to while idle (spoke_while_idle). One the server closes as the request
  // goes, before a byte of answer, may have taken the request or not: an idempotent request goes
  // again once on a new connection, as browsers and Go's net/http send it; a POST fails, for the
  // server may have processed it. What the server surely did not process (HTTP/2) goes again up to
  // max_unprocessed_resends times.
  const std::chrono::milliseconds timeout = req.timeout.value_or(options_.read_timeout);
  bool first_try = true;
  bool resent_after_close = false;
  int unprocessed_resends = 0;
  const auto may_resend_after_close = [&] {
    if (resent_after_close || !idempotent(req)) return false;
    resent_after_close = true;
    first_try = false;
    return true;
  };
  for (;;) {
    // Whether time has passed since `started` that the exchange's deadline must not count: a
    // connection being made (the timeout bounds the exchange, as before; connect has its own).
    bool connected_meanwhile = o.connecting;
    wait_for_connecting(o);
    if (o.conn && !o.conn->h2 &&
        (o.conn->peer_closed() || (!o.conn->fresh && o.conn->spoke_while_idle()))) {
      abandon(o);  // gone, or saying what no request asked: no TLS goodbye to send
    } else if (o.conn && !o.conn->usable()) {
      o.conn.reset();
    }
    if (!o.conn) {
      connected_meanwhile = true;
      r.error = connect(o, r.error_message);
      if (r.error != error_kind::none) return r;
    }
    if (o.conn->h2) {
      // A copy: another green thread may replace o.conn while this one waits on the stream.
      const std::shared_ptr<connection> c = o.conn;
      bool unprocessed = false, closed_unanswered = false;
      if (wrote != nullptr) *wrote = true;
      r = send_h2(o, c, req, target, head, unprocessed, closed_unanswered);
      if (unprocessed && unprocessed_resends++ < max_unprocessed_resends) {
        first_try = false;
        continue;
      }
      if (closed_unanswered && may_resend_after_close()) continue;
      if (r.ok() && (r.response.status < 200 || r.response.status > 599)) {
        // As over HTTP/1.1 (below): a number that is no final HTTP status is no answer.
        r.error = error_kind::bad_response;
        r.error_message = no_final_status(r.response.status);
      }
      return r;
    }
    // The receive buffer holds bytes of one connection only.
    if (in_owner_ != o.conn.get()) {
      in_owner_ = o.conn.get();
      in_begin_ = in_end_ = 0;
    }
    const std::shared_ptr<connection> held = o.conn;  // while another green thread closes it
    connection& conn = *held;
    serialize(o, req, target);
    r.version = version::http1_1;
    const bool reused = !conn.fresh;
    // The timeout bounds the whole exchange, not each wait: a server that trickles a byte a
    // second must not hold a user for ever (k6's request timeout). One deadline on the socket
    // for all of the exchange's calls: no clock read per call.
    const auto deadline =
        (first_try && !connected_meanwhile ? started : green::clock::now()) + timeout;
    conn.raw().set_deadline(deadline);
    struct relative_again {
      green::socket& s;
      std::chrono::milliseconds timeout;
      ~relative_again() { s.set_timeout(timeout); }  // for a TLS close after the exchange
    } after{conn.raw(), options_.read_timeout};
    int reads = 0;
    bool answered = false;  // a byte of the answer came
    bool interim_came = false;
    try {
      if (wrote != nullptr) *wrote = true;
      conn.io().write_all(out_);
      parser_.start(head, options_.keep_body);
      for (;;) {
        if (in_begin_ == in_end_) {
          in_begin_ = in_end_ = 0;
          // A read that finds data never parks, so never meets the socket's deadline: a
          // server streaming a body without end is bounded here (a small response is one read).
          if (reads++ > 0 && green::clock::now() >= deadline)
            throw green::operation_timed_out("request deadline");
          const std::size_t n = conn.io().read_some(std::span<char>(in_.get(), in_size));
          if (n == 0) {
            parser_.finish();
            break;
          }
          answered = true;
          in_end_ = n;
        }
        in_begin_ += parser_.feed(in_.get() + in_begin_, in_end_ - in_begin_);
        if (parser_.complete() && interim(parser_.response().status)) {
          // 100 Continue, 103 Early Hints: the final response follows on this connection
          // (RFC 9110 15.2). Taken as the answer, it left the real one for the next request.
          parser_.start(head, options_.keep_body);
          interim_came = true;
          continue;
        }
        if (parser_.complete() || parser_.failed()) break;
      }
    } catch (const green::operation_timed_out&) {
      // A response begun and not ended (a trickling body) is not "no response", nor is a stream
      // of 100 Continue without the answer.
      const bool begun = parser_.started();
      close(o);
      r.error = error_kind::timeout;
      const std::string within = std::to_string(timeout.count()) + " ms";
      if (begun)
        r.error_message = "the response was not complete within " + within;
      else if (interim_came)  // no count: the message names a group of errors
        r.error_message = "no final response within " + within + " (only interim 1xx responses)";
      else
        r.error_message = "no response within " + within;
      return r;
    } catch (const green::tls_error& e) {
      // Named as a handshake's failure is (the alert of a TLS 1.3 server that wants a client
      // certificate comes at the first read, not in the handshake: hunt).
      const bool no_certificate = conn.tls && conn.tls->client_certificate_missing();
      close(o);
      r.error = error_kind::tls;
      r.error_message = tls_failure(o.base, e.what(), no_certificate);
      return r;
    } catch (const std::system_error& e) {
      close(o);
      if (reused && !answered && may_resend_after_close()) continue;
      r.error = error_kind::reset;
      r.error_message = e.what();
      if (reused && !answered) r.error_message += not_sent_again(req);
      return r;
    } catch (...) {
      // Ended mid-way from outside (a green::timeout scope around the request, as sw.timeout
      // makes, or a kill): its answer is still on the way, and read by the next request it
      // would be taken for that one's. The connection goes, without a TLS goodbye (that could
      // park while this unwinds).
      abandon(o);
      throw;
    }
    if (parser_.failed()) {
      const bool http2 = looks_like_http2(std::string_view(in_.get(), in_end_));
      close(o);  // its buffer too
      if (reused && !answered && may_resend_after_close()) continue;
      if (reused && !answered) {
        r.error = error_kind::reset;
        r.error_message =
            "the server closed the kept-alive connection without answering" + not_sent_again(req);
        return r;
      }
      r.error = error_kind::bad_response;
      if (parser_.body_too_large()) {
        // Its head came: the status and headers say what it was, as over HTTP/2.
        r.response.status = parser_.response().status;
        r.response.headers = std::move(parser_.response().headers);
        r.version = version::http1_1;
      }
      r.error_message = http2 ? "the server answered in HTTP/2 frames, not an "
                                "HTTP/1.1 status line (a server that speaks h2c only: set "
                                "http.version: \"2\")"
                              : parser_.error();
      return r;
    }
    const int status = parser_.response().status;
    if (status < 200 || status > 599) {
      // 101 to a request that asked for no upgrade (the connection now speaks something else),
      // or a number that is no HTTP status: no answer, though it parsed and was below 400.
      close(o);
      r.error = error_kind::bad_response;
      r.error_message = no_final_status(status);
      return r;
    }
    conn.fresh = false;
    conn.read_events_at_answer = conn.raw().watched().watch().read_events;
    // Bytes after the response answer no request (this client sends one at a time): kept, they
    // would be read as the next request's response.
    if (!parser_.keep_alive() || in_begin_ != in_end_) close(o);
    r.response = std::move(parser_.response());
    r.version = version::http1_1;
    r.client_certificate_missing = conn.tls && conn.tls->client_certificate_missing();
    remember_cookies(o, target, r.response);
    return r;
  }
  return r;
}

result client::send(const request& original, bool* wrote) {
  if (wrote != nullptr) *wrote = false;
  const auto start = green::clock::now();
  const request* req = &original;
  request redirected;  // the request a redirect asks for
  result r;
  for (int hop = 0;; ++hop) {
    // http://user:password@host/: basic auth, as curl, Python's requests and k6 send it (it
    // was dropped silently), unless the request has its own Authorization.
    if (is_absolute(req->target)) {
      if (auto info = split_userinfo(req->target)) {
        if (req != &redirected) redirected = *req;
        redirected.target = std::move(info->url);
        // "user" alone is "user:" (RFC 7617, as curl sends it); "@host" has no credentials.
        if (!info->user_password.empty() && !redirected.headers.has("authorization")) {
          if (info->user_password.find(':') == std::string::npos) info->user_password += ':';
          redirected.headers.add("Authorization", "Basic " + base64_encode(info->user_password));
        }
        req = &redirected;
      }
    }
    // A space or a byte above 0x7f would end or garble the request line: sent encoded, as
    // requests and Go's net/http send them (each hop: a Location may hold them too).
    if (auto quoted = requoted_target(req->target)) {
      if (req != &redirected) redirected = *req;
      redirected.target = std::move(*quoted);
      req = &redirected;
    }
    // Before any connection: a CR or LF in the line or a header would split it on the wire
    // (each hop: a redirect's Location is the server's text).
    if (std::string why = check_request(*req); !why.empty()) {
      r = result{};
      r.error = error_kind::other;
      r.error_message = std::move(why);
      break;
    }
    std::string_view path;
    const auto o = route(req->target, path, r.error_message);
    if (!o) {
      r.error = error_kind::other;
      r.error_message = "bad URL: " + r.error_message;
      break;
    }
    const bool head = req->method == "HEAD";
    const auto hop_start = hop == 0 ? start : green::clock::now();
    const bool relative = path.data() == req->target.data() && path.size() == req->target.size();
    // A relative target goes after the base's path, as with Locust's host; an absolute URL's
    // path goes alone (a query alone after the origin is asked of its root).
    const wire_target target =
        relative ? wire_target{prefix_, path}
                 : wire_target{!path.empty() && path.front() == '?' ? "/" : "", path};
    r = send_once(*o, *req, target, head, hop_start, wrote);
    const int s = r.response.status;
    const bool redirect = r.ok() && (s == 301 || s == 302 || s == 303 || s == 307 || s == 308);
    if (!redirect || options_.max_redirects == 0) break;  // 0: redirects come back as they are
    const auto location = r.response.headers.get("location");
    if (!location) break;  // nowhere to go: the 3xx is the answer
    // One more hop than allowed: the page the request was for was never reached (Python's
    // requests raises TooManyRedirects, curl exits 47), not a success.
    if (hop >= options_.max_redirects) {
      r.error = error_kind::other;
      r.error_message = "too many redirects: more than " + std::to_string(options_.max_redirects) +
                        " (http.max_redirects)";
      break;
    }
    auto next =
        resolve_location(o->key, std::string(target.prefix) + std::string(target.path), *location);
    std::string error;
    const auto u = next ? parse_url(*next, error) : std::nullopt;
    if (!u) {
      r.error = error_kind::bad_response;
      r.error_message = "HTTP " + std::to_string(s) + " redirects to '" +
                        std::string(location->substr(0, 200)) + "', which is not an http(s) URL" +
                        (error.empty() ? "" : ": " + error);
      break;
    }
    const bool elsewhere = !same_origin(u->origin(), o->key);
    if (req != &redirected) redirected = *req;
    if (elsewhere) {
      // Credentials and a Host meant for one server are not handed to another (as browsers
      // and Python's requests do): a Cookie header of the request's own too, as curl drops it
      // since CVE-2022-27776. The jar's cookies still go where their domains say.
      redirected.headers.remove("authorization");
      redirected.headers.remove("proxy-authorization");
      redirected.headers.remove("cookie");
      redirected.headers.remove("host");
    }
    redirected.target = std::move(*next);
    if (s == 303 || ((s == 301 || s == 302) && req->method == "POST")) {
      redirected.method = "GET";
      redirected.body.clear();
      // The body's headers go with it (as browsers and Python's requests drop them): a
      // Content-Length of the POST's body would now frame nothing.
      redirected.headers.remove("content-length");
      redirected.headers.remove("content-type");
      redirected.headers.remove("transfer-encoding");
    }
    req = &redirected;
  }
  // A compressed body is read decoded, as k6 and requests read it (its bytes on the wire stay
  // what was counted); only a kept one: a body counted and dropped costs nothing more.
  if (r.ok() && options_.keep_body && !r.response.body.empty()) {
    if (auto decoded = decode_content(r.response.headers, r.response.body)) {
      if (decoded->error.empty()) {
        r.response.body = std::move(decoded->body);
      } else {
        r.error = error_kind::bad_response;
        r.error_message = std::move(decoded->error);
      }
    }
  }
  r.elapsed = green::clock::now() - start;
  return r;
}

}  // namespace swarmlet::http
