#include "client.hpp"

#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

#include "common/green/clock.hpp"
#include "common/green/errors.hpp"
#include "common/green/hub.hpp"
#include "h2_connection.hpp"

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
  bool fresh = true;  // no request completed on it yet
  green::stream& io() { return tls ? static_cast<green::stream&>(*tls) : *plain; }
  green::socket& raw() { return tls ? tls->raw() : *plain; }
  bool usable() const noexcept { return !h2 || h2->accepts_streams(); }
};

client::client(url base, client_options options, std::shared_ptr<green::tls_context> tls)
    : base_(std::move(base)),
      options_(std::move(options)),
      tls_(std::move(tls)),
      authority_(base_.authority()),
      in_(16 * 1024) {
  if (base_.tls() && !tls_)
    tls_ = std::make_shared<green::tls_context>(green::tls_context::client(options_.verify_tls));
}

client::~client() = default;

void client::close() noexcept {
  const bool shared = conn_ && conn_->h2 && conn_->h2->streams_in_flight() > 0;
  if (conn_ && conn_->tls && !shared) conn_->tls->close();
  conn_.reset();
  in_begin_ = in_end_ = 0;
}

http::version client::connected_version() const noexcept {
  if (!conn_) return version::none;
  return conn_->h2 ? version::http2 : version::http1_1;
}

void client::wait_for_connecting() {
  while (connecting_) green::hub::get().park(connect_waiters_, std::nullopt, "HTTP connect");
}

bool client::multiplexes() {
  if (options_.version == version_choice::http1_1) return false;
  if (options_.version == version_choice::automatic && !base_.tls()) return false;
  wait_for_connecting();
  if (conn_) return conn_->h2 != nullptr;
  return options_.version == version_choice::http2;
}

error_kind client::connect(std::string& message) {
  const std::string where = base_.host + ":" + std::to_string(base_.port);
  // Other green threads of this client (HTTP/2 streams to be) wait for this connection rather
  // than open their own.
  connecting_ = true;
  struct connected {
    client& self;
    ~connected() {
      self.connecting_ = false;
      self.connect_waiters_.wake_all();
    }
  } done{*this};
  try {
    auto c = std::make_shared<connection>();
    c->plain.emplace(green::socket::connect(base_.host, base_.port, options_.connect_timeout));
    c->plain->set_timeout(options_.read_timeout);
    if (base_.tls()) {
      const std::string_view offer =
          options_.version == version_choice::automatic ? alpn_h2_or_http1
          : options_.version == version_choice::http2   ? alpn_h2
                                                        : std::string_view();
      c->tls.emplace(
          green::wrap_ssl(std::move(*c->plain), *tls_, green::tls_role::client, base_.host, offer));
      c->plain.reset();
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
    conn_ = std::move(c);
    in_begin_ = in_end_ = 0;
    return error_kind::none;
  } catch (const green::operation_timed_out&) {
    message = "connect to " + where + " timed out";
    return error_kind::connect_timeout;
  } catch (const green::resolve_error& e) {
    message = e.what();
    return error_kind::resolve;
  } catch (const green::tls_error& e) {
    message = e.what();
    // Offered h2 alone, a server without it may refuse the handshake rather than pick nothing.
    if (options_.version == version_choice::http2 &&
        message.find("no application protocol") != std::string::npos)
      message = "the server at " + where +
                " did not agree to HTTP/2 by ALPN (http: {version: \"2\"} requires it): " + message;
    return error_kind::tls;
  } catch (const std::system_error& e) {
    message = e.what();
    if (e.code().value() == ECONNREFUSED) return error_kind::connect_refused;
    if (e.code().value() == ECONNRESET) return error_kind::reset;
    if (e.code().value() == EMFILE || e.code().value() == ENFILE) {
      message = "no file descriptor left for a connection: raise the open-file limit (ulimit -n)";
      return error_kind::too_many_open_files;
    }
    return error_kind::other;
  }
}

void client::serialize(const request& req) {
  out_.clear();
  out_ += req.method;
  out_ += ' ';
  out_ += req.target.empty() ? std::string_view("/") : std::string_view(req.target);
  out_ += " HTTP/1.1\r\n";
  if (!req.headers.has("host")) {
    out_ += "Host: ";
    out_ += base_.authority();
    out_ += "\r\n";
  }
  if (!req.headers.has("user-agent") && !options_.user_agent.empty()) {
    out_ += "User-Agent: ";
    out_ += options_.user_agent;
    out_ += "\r\n";
  }
  if (!cookies_.empty() && !req.headers.has("cookie")) {
    out_ += "Cookie: ";
    bool first = true;
    for (const auto& [k, v] : cookies_) {
      if (!first) out_ += "; ";
      first = false;
      out_ += k;
      out_ += '=';
      out_ += v;
    }
    out_ += "\r\n";
  }
  for (const auto& [k, v] : req.headers.fields()) {
    out_ += k;
    out_ += ": ";
    out_ += v;
    out_ += "\r\n";
  }
  if (!req.body.empty() || req.method == "POST" || req.method == "PUT" || req.method == "PATCH") {
    if (!req.headers.has("content-length")) {
      out_ += "Content-Length: ";
      out_ += std::to_string(req.body.size());
      out_ += "\r\n";
    }
  }
  out_ += "\r\n";
  out_ += req.body;
}

void client::remember_cookies(const response& res) {
  for (const auto& [name, value] : res.headers.fields()) {
    if (!header_list::equals_ignoring_case(name, "set-cookie")) continue;
    const std::string_view pair = std::string_view(value).substr(0, value.find(';'));
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    auto trim = [](std::string_view s) {
      while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
      while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
      return std::string(s);
    };
    cookies_[trim(pair.substr(0, eq))] = trim(pair.substr(eq + 1));
  }
}

result client::send_h2(const std::shared_ptr<connection>& c, const request& req, bool head,
                       bool& retry) {
  cookie_header_.clear();
  for (const auto& [k, v] : cookies_) {
    if (!cookie_header_.empty()) cookie_header_ += "; ";
    cookie_header_ += k;
    cookie_header_ += '=';
    cookie_header_ += v;
  }
  const h2_request_context context{base_.tls() ? "https" : "http", authority_, options_.user_agent,
                                   cookie_header_, options_.keep_body};
  auto out = c->h2->exchange(req, head, context, green::clock::now() + options_.read_timeout);
  // A connection that takes no more streams is left to the ones still on it.
  if (conn_ == c && !c->usable()) conn_.reset();
  retry = out.unprocessed;
  if (out.result.ok()) remember_cookies(out.result.response);
  return std::move(out.result);
}

result client::send_once(const request& req, bool head) {
  result r;
  // A kept-alive connection the server has closed meanwhile fails on first use: one retry on
  // a fresh connection, as browsers and Python's requests do.
  for (int attempt = 0; attempt < 2; ++attempt) {
    wait_for_connecting();
    if (conn_ && !conn_->usable()) conn_.reset();
    if (!conn_) {
      r.error = connect(r.error_message);
      if (r.error != error_kind::none) return r;
    }
    if (conn_->h2) {
      // A copy: another green thread may replace conn_ while this one waits on the stream.
      const std::shared_ptr<connection> c = conn_;
      bool retry = false;
      r = send_h2(c, req, head, retry);
      if (retry && attempt == 0) continue;
      return r;
    }
    serialize(req);
    r.version = version::http1_1;
    const bool reused = !conn_->fresh;
    // The timeout bounds the whole exchange, not each wait: a server that trickles a byte a
    // second must not hold a user for ever (k6's request timeout).
    const auto deadline = green::clock::now() + options_.read_timeout;
    auto bound = [&] {
      const auto left = deadline - green::clock::now();
      if (left <= green::duration::zero()) throw green::operation_timed_out("request deadline");
      conn_->raw().set_timeout(left);
    };
    try {
      bound();
      conn_->io().write_all(out_);
      parser_.start(head, options_.keep_body);
      for (;;) {
        if (in_begin_ == in_end_) {
          in_begin_ = in_end_ = 0;
          bound();
          const std::size_t n = conn_->io().read_some(std::span<char>(in_.data(), in_.size()));
          if (n == 0) {
            parser_.finish();
            break;
          }
          in_end_ = n;
        }
        in_begin_ += parser_.feed(in_.data() + in_begin_, in_end_ - in_begin_);
        if (parser_.complete() || parser_.failed()) break;
      }
    } catch (const green::operation_timed_out&) {
      close();
      r.error = error_kind::timeout;
      r.error_message =
          "no response within " + std::to_string(options_.read_timeout.count()) + " ms";
      return r;
    } catch (const green::tls_error& e) {
      close();
      r.error = error_kind::tls;
      r.error_message = e.what();
      return r;
    } catch (const std::system_error& e) {
      close();
      if (reused && attempt == 0 && !parser_.started()) continue;
      r.error = error_kind::reset;
      r.error_message = e.what();
      return r;
    }
    if (parser_.failed()) {
      close();
      if (reused && attempt == 0 && !parser_.started()) continue;
      r.error = error_kind::bad_response;
      r.error_message = "bad response: " + parser_.error();
      return r;
    }
    conn_->fresh = false;
    if (!parser_.keep_alive()) close();
    r.response = std::move(parser_.response());
    r.version = version::http1_1;
    remember_cookies(r.response);
    return r;
  }
  return r;
}

result client::send(const request& original) {
  const auto start = std::chrono::steady_clock::now();
  const request* req = &original;
  request redirected;
  result r;
  for (int hop = 0;; ++hop) {
    r = send_once(*req, req->method == "HEAD");
    const int s = r.response.status;
    const bool redirect = r.ok() && (s == 301 || s == 302 || s == 303 || s == 307 || s == 308);
    if (!redirect || hop >= options_.max_redirects) break;
    auto location = r.response.headers.get("location");
    if (!location) break;
    std::string target(*location);
    if (target.rfind("http://", 0) == 0 || target.rfind("https://", 0) == 0) {
      std::string error;
      auto u = parse_url(target, error);
      // Only the same origin: this client holds one connection to one server.
      if (!u || u->origin() != base_.origin()) break;
      target = u->target;
    } else if (target.empty() || target[0] != '/') {
      break;
    }
    redirected = *req;
    redirected.target = target;
    if (s == 303 || ((s == 301 || s == 302) && req->method == "POST")) {
      redirected.method = "GET";
      redirected.body.clear();
    }
    req = &redirected;
  }
  r.elapsed = std::chrono::steady_clock::now() - start;
  return r;
}

}  // namespace swarmlet::http
