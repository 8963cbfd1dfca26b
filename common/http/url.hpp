#pragma once
// Absolute http(s) URLs, parsed with http-parser's URL parser.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace swarmlet::http {

struct url {
  std::string scheme;  ///< "http" or "https"
  std::string host;    ///< without brackets for IPv6 literals
  std::uint16_t port = 0;
  std::string target;  ///< path and query as sent (requoted_target); "/" when the URL has none

  bool tls() const noexcept { return scheme == "https"; }
  /// "host" or "host:port" when the port is not the scheme's default (for the Host header).
  std::string authority() const;
  /// scheme://authority
  std::string origin() const;
  /// What this URL, as a test's base, puts before the paths of its requests: its path without
  /// the trailing '/' ("" for "/"), as Locust's host is a prefix ("http://h/api" and "/items"
  /// are "/api/items"; with "http://h/api/", not "/api//items").
  std::string path_prefix() const;
};

/// Parses `text` as the base URL of a test (a scenario's target, --host): an origin and an
/// optional path (a prefix of the requests' paths), with no query, fragment or
/// user:password@, which would be silently dropped. Nothing with `error` set when it is not
/// one.
std::optional<url> parse_base_url(const std::string& text, std::string& error);

/// Whether `host` (a name or an address to bind) is this machine's loopback: 127.0.0.0/8,
/// "localhost" or "::1". Anything else may be reachable from other hosts.
bool is_loopback(std::string_view host);

/// An absolute URL's user:password@ (RFC 3986 userinfo), percent-decoded, and the URL
/// without it: what clients (curl, Python's requests, k6) send as basic auth.
struct url_userinfo {
  std::string url;            ///< without the userinfo
  std::string user_password;  ///< "user:password" (or "user"), decoded
};
/// None when `text` is not an http(s) URL with a userinfo.
std::optional<url_userinfo> split_userinfo(std::string_view text);

/// `text` without an http(s) URL's user:password@: a request's default name, which the
/// reports show (a password in them would leak).
std::string without_userinfo(std::string_view text);

/// Parses an absolute http or https URL; none (and `error` says why) otherwise. A space,
/// `"<>\^`{|}` or a byte above 0x7f in its path or query is taken, percent-encoded as a
/// request's path is (requoted_target): `http://h/my api` is `/my%20api` on `h`.
std::optional<url> parse_url(const std::string& text, std::string& error);

}  // namespace swarmlet::http
