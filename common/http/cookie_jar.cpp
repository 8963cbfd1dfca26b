#include "cookie_jar.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>

#include "ascii_text.hpp"

namespace swarmlet::http {

namespace {
using std::chrono::sys_seconds;

/// What browsers keep at most (RFC 6265 6.1 asks for at least 4096 bytes a cookie and 3000
/// cookies): a cookie longer is ignored, and past the count the oldest goes.
constexpr std::size_t max_cookie_bytes = 4096;
constexpr std::size_t max_cookies = 3000;

/// A Max-Age beyond this (about 3,000 years) counts as this: the sum must not overflow.
constexpr std::int64_t max_age_limit = 100'000'000'000;

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

bool is_ip_address(std::string_view host) {
  const std::string text(host);
  in6_addr address{};  // large enough for either family
  return inet_pton(AF_INET, text.c_str(), &address) == 1 ||
         inet_pton(AF_INET6, text.c_str(), &address) == 1;
}

/// Max-Age's value (RFC 6265 5.2.2): an optional '-' and digits, else none (ignored).
std::optional<std::int64_t> parse_max_age(std::string_view text) {
  const bool negative = !text.empty() && text.front() == '-';
  if (negative) text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  std::int64_t seconds = 0;
  for (const char c : text) {
    if (!is_digit(c)) return std::nullopt;
    if (seconds < max_age_limit) seconds = seconds * 10 + (c - '0');
  }
  return negative ? -seconds : std::min(seconds, max_age_limit);
}

// RFC 6265 5.1.1's date grammar: tokens between delimiters, each tried as a time, a day of the
// month, a month and a year, in that order, each taken once.

bool is_date_delimiter(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return u == 0x09 || (u >= 0x20 && u <= 0x2f) || (u >= 0x3b && u <= 0x40) ||
         (u >= 0x5b && u <= 0x60) || (u >= 0x7b && u <= 0x7e);
}

/// Reads `min` to `max` digits at `at` (advanced past them) into `value`.
bool read_digits(std::string_view s, std::size_t& at, std::size_t min, std::size_t max,
                 int& value) noexcept {
  std::size_t n = 0;
  value = 0;
  while (at < s.size() && is_digit(s[at]) && n < max) {
    value = value * 10 + (s[at++] - '0');
    ++n;
  }
  return n >= min;
}

/// Whether `s` is digits (`min` to `max` of them) then nothing or a non-digit and anything.
bool digits_then_other(std::string_view s, std::size_t min, std::size_t max, int& value) noexcept {
  std::size_t at = 0;
  return read_digits(s, at, min, max, value) && (at == s.size() || !is_digit(s[at]));
}

bool parse_time(std::string_view s, int& h, int& m, int& sec) noexcept {
  std::size_t at = 0;
  if (!read_digits(s, at, 1, 2, h) || at >= s.size() || s[at++] != ':') return false;
  if (!read_digits(s, at, 1, 2, m) || at >= s.size() || s[at++] != ':') return false;
  return read_digits(s, at, 1, 2, sec) && (at == s.size() || !is_digit(s[at]));
}

/// 1 to 12 for a token that begins with a month's three letters, else 0.
int parse_month(std::string_view s) noexcept {
  static constexpr std::array<std::string_view, 12> months = {
      "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
  if (s.size() < 3) return 0;
  for (std::size_t i = 0; i < months.size(); ++i)
    if (equals_ignoring_case(s.substr(0, 3), months[i])) return static_cast<int>(i) + 1;
  return 0;
}
}  // namespace

std::optional<sys_seconds> parse_cookie_date(std::string_view text) {
  bool found_time = false, found_day = false, found_month = false, found_year = false;
  int hour = 0, minute = 0, second = 0, day = 0, month = 0, year = 0;
  std::size_t at = 0;
  while (at < text.size()) {
    while (at < text.size() && is_date_delimiter(text[at])) ++at;
    const std::size_t begin = at;
    while (at < text.size() && !is_date_delimiter(text[at])) ++at;
    const std::string_view token = text.substr(begin, at - begin);
    if (token.empty()) continue;
    int value = 0;
    if (!found_time && parse_time(token, hour, minute, second)) {
      found_time = true;
    } else if (!found_day && digits_then_other(token, 1, 2, value)) {
      found_day = true;
      day = value;
    } else if (!found_month && (value = parse_month(token)) != 0) {
      found_month = true;
      month = value;
    } else if (!found_year && digits_then_other(token, 2, 4, value)) {
      found_year = true;
      year = value;
    }
  }
  if (!found_time || !found_day || !found_month || !found_year) return std::nullopt;
  if (year >= 70 && year <= 99) year += 1900;
  if (year >= 0 && year <= 69) year += 2000;
  if (year < 1601 || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year(year),
                                         std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) return std::nullopt;  // 31 April, 29 February 2023: no such day
  return sys_seconds(std::chrono::sys_days(date)) + std::chrono::hours(hour) +
         std::chrono::minutes(minute) + std::chrono::seconds(second);
}

std::string_view path_of(std::string_view target) noexcept {
  target = target.substr(0, target.find_first_of("?#"));
  return target.empty() ? std::string_view("/") : target;
}

std::string_view default_path(std::string_view request_path) noexcept {
  if (request_path.empty() || request_path.front() != '/') return "/";
  const auto last = request_path.rfind('/');
  return last == 0 ? std::string_view("/") : request_path.substr(0, last);
}

bool path_matches(std::string_view request_path, std::string_view cookie_path) noexcept {
  if (request_path == cookie_path) return true;
  if (!request_path.starts_with(cookie_path)) return false;
  return cookie_path.ends_with('/') || request_path[cookie_path.size()] == '/';
}

bool domain_matches(std::string_view host, std::string_view domain) noexcept {
  if (host == domain) return true;
  if (domain.empty() || host.size() <= domain.size() || !host.ends_with(domain)) return false;
  return host[host.size() - domain.size() - 1] == '.' && !is_ip_address(host);
}

cookie_jar::cookie_jar(wall_clock now)
    : now_(now ? std::move(now) : wall_clock(&std::chrono::system_clock::now)) {}

sys_seconds cookie_jar::now() const {
  return std::chrono::floor<std::chrono::seconds>(now_());
}

bool cookie_jar::goes_to(const cookie& c, std::string_view host, sys_seconds now) {
  if (c.expiry && *c.expiry <= now) return false;
  return c.host_only ? host == c.domain : domain_matches(host, c.domain);
}

bool cookie_jar::set(std::string_view set_cookie, std::string_view request_host,
                     std::string_view target, bool secure) {
  const std::string_view pair = set_cookie.substr(0, set_cookie.find(';'));
  const auto eq = pair.find('=');
  // "a" alone: RFC 6265 ignores it (browsers since store it with an empty name; neither the
  // old jar nor Go's keeps it).
  if (eq == std::string_view::npos) return false;
  cookie c;
  c.name = without_spaces_around(pair.substr(0, eq));
  c.value = without_spaces_around(pair.substr(eq + 1));
  if (c.name.empty()) return false;
  if (c.name.size() + c.value.size() > max_cookie_bytes) return false;  // as browsers ignore it

  const sys_seconds now = this->now();
  const std::string host = ascii_lowercase(request_host);
  std::optional<sys_seconds> expires, max_age;
  std::optional<std::string> domain;
  std::optional<std::string_view> path;
  // The attributes: the last of each name counts (RFC 6265 5.3 step 3 onwards).
  std::string_view rest =
      pair.size() == set_cookie.size() ? std::string_view() : set_cookie.substr(pair.size() + 1);
  while (!rest.empty()) {
    const auto end = rest.find(';');
    const std::string_view av = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    const auto aeq = av.find('=');
    const std::string_view key = without_spaces_around(av.substr(0, aeq));
    const std::string_view value = aeq == std::string_view::npos
                                       ? std::string_view()
                                       : without_spaces_around(av.substr(aeq + 1));
    if (equals_ignoring_case(key, "expires")) {
      if (auto date = parse_cookie_date(value)) expires = date;
    } else if (equals_ignoring_case(key, "max-age")) {
      if (const auto seconds = parse_max_age(value))
        max_age = *seconds <= 0 ? sys_seconds::min() : now + std::chrono::seconds(*seconds);
    } else if (equals_ignoring_case(key, "domain")) {
      if (value.empty()) continue;  // RFC 6265 5.2.3: an empty one is ignored
      domain = ascii_lowercase(value.front() == '.' ? value.substr(1) : value);
    } else if (equals_ignoring_case(key, "path")) {
      path = value;
    } else if (equals_ignoring_case(key, "secure")) {
      c.secure = true;
    } else if (equals_ignoring_case(key, "httponly")) {
      c.http_only = true;
    }
  }

  // A plain-http answer must not plant a cookie that https requests would then carry (QA: one
  // set over http went out over wss).
  if (c.secure && !secure) return false;
  c.expiry = max_age ? max_age : expires;  // Max-Age wins, whatever the order
  if (domain && !domain->empty()) {
    // A single label other than the host is a top-level domain ("com"): the one public suffix
    // known without a list.
    if (*domain != host && domain->find('.') == std::string::npos) return false;
    if (!domain_matches(host, *domain)) return false;  // another site's cookie
    c.host_only = false;
    c.domain = std::move(*domain);
  } else {
    c.domain = host;
  }
  const std::string_view request_path = path_of(target);
  c.path = path && !path->empty() && path->front() == '/' ? *path : default_path(request_path);

  // Expired cookies go now (RFC 6265 5.3's eviction), and with them any this one deletes.
  const auto size_before = cookies_.size();
  std::erase_if(cookies_, [now](const cookie& k) { return k.expiry && *k.expiry <= now; });
  bool changed = cookies_.size() != size_before;
  const auto same = std::find_if(cookies_.begin(), cookies_.end(), [&c](const cookie& k) {
    return k.name == c.name && k.domain == c.domain && k.path == c.path;
  });
  const bool expired = c.expiry && *c.expiry <= now;
  if (same != cookies_.end()) {
    if (expired) {
      cookies_.erase(same);
    } else {
      // Replaced in place: its creation time, hence its place in the order, stays.
      c.created = same->created;
      *same = std::move(c);
    }
    return true;
  }
  if (expired) return changed;
  if (cookies_.size() >= max_cookies) {
    // A server setting cookie after cookie must not grow a user without bound: the oldest
    // goes, as browsers evict theirs.
    cookies_.erase(
        std::min_element(cookies_.begin(), cookies_.end(),
                         [](const cookie& a, const cookie& b) { return a.created < b.created; }));
  }
  c.created = ++stored_;
  // After every cookie of a path as long or longer: the order of sending stays sorted.
  const auto at = std::find_if(cookies_.begin(), cookies_.end(),
                               [&c](const cookie& k) { return k.path.size() < c.path.size(); });
  cookies_.insert(at, std::move(c));
  return true;
}

bool cookie_jar::append_header(std::string& out, std::string_view request_host,
                               std::string_view target, bool secure) const {
  if (cookies_.empty()) return false;
  const std::string host = ascii_lowercase(request_host);
  const std::string_view path = path_of(target);
  const sys_seconds now = this->now();
  bool any = false;
  for (const cookie& c : cookies_) {
    if ((c.secure && !secure) || !goes_to(c, host, now) || !path_matches(path, c.path)) continue;
    if (any) out += "; ";
    any = true;
    out += c.name;
    out += '=';
    out += c.value;
  }
  return any;
}

std::string cookie_jar::header(std::string_view host, std::string_view target, bool secure) const {
  std::string out;
  append_header(out, host, target, secure);
  return out;
}

std::map<std::string, std::string> cookie_jar::values_for(std::string_view request_host) const {
  const std::string host = ascii_lowercase(request_host);
  const sys_seconds now = this->now();
  std::map<std::string, std::string> out;
  for (const cookie& c : cookies_)
    if (goes_to(c, host, now)) out.emplace(c.name, c.value);
  return out;
}

}  // namespace swarmlet::http
