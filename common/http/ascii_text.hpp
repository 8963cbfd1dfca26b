#pragma once
// Case and whitespace of the ASCII tokens HTTP is made of (header names and parameters, schemes,
// hosts, cookie attributes, methods): folded without the locale, which std::tolower consults per
// character and which must not change what a header name matches.
#include <algorithm>
#include <string>
#include <string_view>

namespace swarmlet::http {

constexpr char ascii_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

inline std::string ascii_lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

inline bool equals_ignoring_case(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

/// Without the spaces and tabs around it (RFC 9110's optional whitespace, RFC 6265's WSP).
constexpr std::string_view without_spaces_around(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace swarmlet::http
