#include "url.hpp"

#include <http_parser.h>

#include <algorithm>
#include <cctype>

#include "ascii_text.hpp"
#include "request_syntax.hpp"

namespace swarmlet::http {

std::string url::authority() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  std::string h = ipv6 ? "[" + host + "]" : host;
  const std::uint16_t default_port = tls() ? 443 : 80;
  if (port != default_port) h += ":" + std::to_string(port);
  return h;
}

std::string url::origin() const {
  return scheme + "://" + authority();
}

std::string url::path_prefix() const {
  std::string prefix = target.substr(0, target.find('?'));
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  // Sent before every request's own (requoted) path: encoded as that is.
  if (auto quoted = requoted_target(prefix)) return std::move(*quoted);
  return prefix;
}

std::optional<url> parse_url(const std::string& written, std::string& error) {
  // The URL as it is sent: http-parser refuses a space in a path, which requests and Go's
  // net/http send as %20 (requoted_target leaves the scheme and authority as written).
  const std::optional<std::string> requoted = requoted_target(written);
  const std::string& text = requoted ? *requoted : written;
  http_parser_url parsed;
  http_parser_url_init(&parsed);
  if (http_parser_parse_url(text.data(), text.size(), 0, &parsed) != 0) {
    // http-parser refuses a port past 65535 as it refuses garbage: say which it was.
    const auto scheme_end = text.find("://");
    if (scheme_end != std::string::npos) {
      const auto authority_end = std::min(text.find_first_of("/?#", scheme_end + 3), text.size());
      const std::string authority = text.substr(scheme_end + 3, authority_end - scheme_end - 3);
      const auto colon = authority.rfind(':');
      if (colon != std::string::npos && authority.find(']', colon) == std::string::npos) {
        const std::string port = authority.substr(colon + 1);
        if (!port.empty() && port.find_first_not_of("0123456789") == std::string::npos &&
            (port.size() > 5 || std::stoul(port) > 65535)) {
          error = "'" + written + "': the port " + port + " is not in 1..65535";
          return std::nullopt;
        }
      }
    }
    error = "'" + written + "' is not an absolute URL (expected http://host[:port][/path])";
    return std::nullopt;
  }
  auto field = [&](int f) -> std::string {
    if (!(parsed.field_set & (1 << f))) return {};
    return text.substr(parsed.field_data[f].off, parsed.field_data[f].len);
  };
  url u;
  u.scheme = ascii_lowercase(field(UF_SCHEMA));
  if (u.scheme != "http" && u.scheme != "https") {
    error = "'" + written + "': the scheme must be http or https";
    return std::nullopt;
  }
  u.host = field(UF_HOST);
  if (u.host.empty()) {
    error = "'" + written + "' has no host";
    return std::nullopt;
  }
  u.port = (parsed.field_set & (1 << UF_PORT)) ? parsed.port : (u.tls() ? 443 : 80);
  if (u.port == 0) {  // no server listens there: a redirect to it was followed, a target loaded
    error = "'" + written + "': the port 0 is not in 1..65535";
    return std::nullopt;
  }
  u.target = field(UF_PATH);
  if (u.target.empty()) u.target = "/";
  if (parsed.field_set & (1 << UF_QUERY)) u.target += "?" + field(UF_QUERY);
  return u;
}

std::optional<url> parse_base_url(const std::string& text, std::string& error) {
  auto u = parse_url(text, error);
  if (!u) return std::nullopt;
  const auto authority_start = text.find("//") + 2;
  const auto authority = std::string_view(text).substr(
      authority_start, text.find_first_of("/?#", authority_start) - authority_start);
  if (authority.find('@') != std::string_view::npos) {
    error = "'" + text +
            "' has a user:password@, which requests would not send: give the origin only, and "
            "an Authorization header in the requests";
    return std::nullopt;
  }
  if (const auto query = text.find_first_of("?#", authority_start); query != std::string::npos) {
    error = "'" + text + "' has a " + (text[query] == '?' ? "query" : "fragment") + " (" +
            text.substr(query) +
            "), which requests would not use: give the origin and path only, and the query in "
            "the requests";
    return std::nullopt;
  }
  return u;
}

std::optional<url_userinfo> split_userinfo(std::string_view text) {
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  const auto start = scheme_end + 3;
  const auto authority_end = std::min(text.find_first_of("/?#", start), text.size());
  const auto at = text.substr(0, authority_end).rfind('@');
  if (at == std::string_view::npos || at < start) return std::nullopt;
  url_userinfo out;
  out.url.append(text.substr(0, start)).append(text.substr(at + 1));
  const std::string_view info = text.substr(start, at - start);
  const auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  for (std::size_t i = 0; i < info.size(); ++i) {
    if (info[i] == '%' && i + 2 < info.size() && hex(info[i + 1]) && hex(info[i + 2])) {
      out.user_password +=
          static_cast<char>(std::stoi(std::string(info.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out.user_password += info[i];
    }
  }
  return out;
}

std::string without_userinfo(std::string_view text) {
  if (text.rfind("http://", 0) != 0 && text.rfind("https://", 0) != 0) return std::string(text);
  auto info = split_userinfo(text);
  return info ? std::move(info->url) : std::string(text);
}

bool is_loopback(std::string_view host) {
  return host.substr(0, 4) == "127." || host == "localhost" || host == "::1";
}

}  // namespace swarmlet::http
