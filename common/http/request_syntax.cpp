#include "request_syntax.hpp"

#include <array>
#include <cctype>

namespace swarmlet::http {
namespace {

constexpr std::array<bool, 256> token_chars = [] {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = t[c - 'a' + 'A'] = true;
  for (unsigned char c : std::string_view("!#$%&'*+-.^_`|~")) t[c] = true;
  return t;
}();

constexpr bool is_control(unsigned char c) noexcept {
  return c < 0x20 || c == 0x7f;
}

/// The first control character of `s` (a tab too unless `tab_allowed`), or none (npos).
std::size_t first_control(std::string_view s, bool tab_allowed) noexcept {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (is_control(c) && !(tab_allowed && c == '\t')) return i;
  }
  return std::string_view::npos;
}

/// How control character `c` reads in a message: "CR/LF", "NUL", "a control character (0x1b)".
std::string described(unsigned char c) {
  if (c == '\r' || c == '\n') return "CR/LF";
  if (c == 0) return "NUL";
  static constexpr char hex[] = "0123456789abcdef";
  return std::string("a control character (0x") + hex[c >> 4] + hex[c & 15] + ")";
}

/// Empty when `s` is a token; else why not, `what` ("header name") first.
std::string check_token(std::string_view what, std::string_view s) {
  if (s.empty()) return std::string(what) + " is empty";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (token_chars[c]) continue;
    // Its text is quoted only when it holds no control character: the message stays one line.
    if (const auto at = first_control(s, false); at != std::string_view::npos)
      return std::string(what) + " contains " + described(static_cast<unsigned char>(s[at]));
    return std::string(what) + " '" + std::string(s) +
           "' is not a token (letters, digits and !#$%&'*+-.^_`|~)";
  }
  return {};
}

}  // namespace

std::string check_method(std::string_view method) {
  return check_token("request method", method);
}

std::string check_request_target(std::string_view target) {
  const auto at = first_control(target, false);
  if (at == std::string_view::npos) return {};
  return "request target contains " + described(static_cast<unsigned char>(target[at]));
}

std::optional<std::string> requoted_target(std::string_view target) {
  // A `%` that starts no escape (`/100%`, `/%zz`) is a `%` meant as itself: a server would
  // refuse it (nginx answers 400) or decode what follows.
  const auto is_hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  const auto needs_quoting_at = [&](std::size_t at) {
    const auto c = static_cast<unsigned char>(target[at]);
    if (c == '%')
      return at + 2 >= target.size() || !is_hex(target[at + 1]) || !is_hex(target[at + 2]);
    return c == ' ' || c >= 0x80 ||
           std::string_view("\"<>\\^`{|}").find(static_cast<char>(c)) != std::string_view::npos;
  };
  // An absolute URL's scheme and host are not a path's: a host is checked where it is parsed.
  std::size_t i = 0;
  if (const auto scheme = target.find("://");
      scheme != std::string_view::npos && target.find_first_of("/?#") > scheme) {
    i = target.find_first_of("/?#", scheme + 3);
    if (i == std::string_view::npos) return std::nullopt;
  }
  while (i < target.size() && !needs_quoting_at(i)) ++i;
  if (i == target.size()) return std::nullopt;
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out(target.substr(0, i));
  for (; i < target.size(); ++i) {
    const auto c = static_cast<unsigned char>(target[i]);
    if (!needs_quoting_at(i)) {
      out += static_cast<char>(c);
      continue;
    }
    out += '%';
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

std::string check_header_name(std::string_view name) {
  return check_token("header name", name);
}

std::string check_header_value(std::string_view name, std::string_view value) {
  const auto at = first_control(value, true);
  if (at == std::string_view::npos) return {};
  return "header " + std::string(name) + " value contains " +
         described(static_cast<unsigned char>(value[at]));
}

std::string check_header_fields(const header_list& headers) {
  for (const auto& [name, value] : headers.fields()) {
    if (std::string why = check_header_name(name); !why.empty()) return why;
    if (std::string why = check_header_value(name, value); !why.empty()) return why;
  }
  return {};
}

std::string check_body_framing(const request& req) {
  for (const auto& [name, value] : req.headers.fields()) {
    if (equals_ignoring_case(name, "transfer-encoding"))
      return "header Transfer-Encoding: a request's body is sent whole, framed by its length "
             "(leave Transfer-Encoding and Content-Length to the client)";
    if (!equals_ignoring_case(name, "content-length")) continue;
    // Only the body's own length: any other would leave bytes of it to be read as the next
    // request on the connection, or have the server wait for bytes that never come.
    const std::string length = std::to_string(req.body.size());
    if (value != length)
      return "header Content-Length is '" + value + "' but the body is " + length +
             " bytes (leave Content-Length to the client)";
  }
  return {};
}

std::string check_request(const request& req) {
  if (std::string why = check_method(req.method); !why.empty()) return why;
  if (std::string why = check_request_target(req.target); !why.empty()) return why;
  if (std::string why = check_header_fields(req.headers); !why.empty()) return why;
  return check_body_framing(req);
}

}  // namespace swarmlet::http
