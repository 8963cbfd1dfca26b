#pragma once
// A user's cookies, stored and sent as RFC 6265 section 5 says a user agent does (as Python's
// requests under Locust and Go's net/http/cookiejar under k6 do): a Set-Cookie's Expires,
// Max-Age, Domain, Path and Secure are honoured, so that a logout (Max-Age=0), an expired
// session, a cookie for another path or one meant for https only behave as in a browser.
// Ports are ignored, as RFC 6265 ignores them. No public suffix list: a Domain of a single label
// ("com") is refused unless it is the host itself.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace swarmlet::http {

/// One stored cookie (RFC 6265 5.3).
struct cookie {
  std::string name, value;
  std::string domain;  ///< lower case, without a leading dot
  std::string path;
  /// When it expires (Expires or Max-Age); none: at the end of the session (never, here).
  std::optional<std::chrono::sys_seconds> expiry;
  bool host_only = true;      ///< no Domain: sent to `domain` exactly, not to its subdomains
  bool secure = false;        ///< sent over https (wss) only
  bool http_only = false;     ///< kept; there are no scripts of the page to hide it from
  std::uint64_t created = 0;  ///< the jar's counter when first stored (kept when replaced)
};

class cookie_jar {
 public:
  /// The wall clock, which servers date cookies by (Expires is a calendar date). Tests inject
  /// one of their own to expire cookies without waiting.
  using wall_clock = std::function<std::chrono::system_clock::time_point()>;

  /// An empty jar reading the time from `now` (the system clock if empty).
  explicit cookie_jar(wall_clock now = {});

  /// Stores the cookie of one Set-Cookie header's `value`, received in answer to a request to
  /// `host` for `target` (its path; a query after it is ignored): it replaces the cookie of the
  /// same name, domain and path, and one already expired (Max-Age=0, an Expires in the past)
  /// removes it. Ignored, as browsers ignore them: no '=' or an empty name, a name and value
  /// over 4096 bytes, a Domain that `host` does not domain-match, a Secure cookie set over a
  /// scheme that is not (`secure`: the answer came over https or wss; RFC 6265bis 5.6, as
  /// browsers and curl). Past 3000 cookies the oldest goes. Returns whether the jar kept or
  /// removed anything.
  bool set(std::string_view set_cookie, std::string_view host, std::string_view target,
           bool secure = true);

  /// Appends to `out` the Cookie header's value ("a=1; b=2") for a request to `host` for
  /// `target` (its path; a query after it is ignored) over a secure scheme (https, wss) or not:
  /// the unexpired cookies whose domain and path match, Secure ones only when `secure`, longer
  /// paths first, then the earlier stored (RFC 6265 5.4). Returns whether it appended any.
  bool append_header(std::string& out, std::string_view host, std::string_view target,
                     bool secure) const;
  /// The same as a string (empty: no cookie to send).
  std::string header(std::string_view host, std::string_view target, bool secure) const;

  /// The unexpired cookies a request to `host` may carry on some path and scheme, by name (of
  /// two of one name, the one sent first): what a script or a test reads back.
  std::map<std::string, std::string> values_for(std::string_view host) const;
  /// Every stored cookie, expired ones included until the next set() removes them, in the order
  /// they are sent.
  const std::vector<cookie>& cookies() const noexcept { return cookies_; }

 private:
  std::chrono::sys_seconds now() const;
  /// Whether `c` goes to `host` (lower case), unexpired at `now`, whatever the path.
  static bool goes_to(const cookie& c, std::string_view host, std::chrono::sys_seconds now);

  wall_clock now_;
  // Sorted as sent: longer paths first, then by `created`. Few per user: a vector scanned
  // whole beats a map's nodes.
  std::vector<cookie> cookies_;
  std::uint64_t stored_ = 0;  // the counter behind cookie::created
};

/// The path of a request's target (its query and fragment cut off; "/" when empty).
std::string_view path_of(std::string_view target) noexcept;
/// RFC 6265 5.1.4: a cookie of `cookie_path` goes with a request for `request_path`.
bool path_matches(std::string_view request_path, std::string_view cookie_path) noexcept;
/// RFC 6265 5.1.4: the path a cookie without Path (or with one not starting with '/') gets
/// from the request's path: up to its last '/', "/" if that is its first.
std::string_view default_path(std::string_view request_path) noexcept;
/// RFC 6265 5.1.3: `host` (lower case) is `domain` or a name under it; an IP address matches
/// only itself.
bool domain_matches(std::string_view host, std::string_view domain) noexcept;
/// RFC 6265 5.1.1: a cookie's date (IMF-fixdate, RFC 850, asctime and the looser forms servers
/// send); none when it is no date.
std::optional<std::chrono::sys_seconds> parse_cookie_date(std::string_view text);

}  // namespace swarmlet::http
