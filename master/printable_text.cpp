#include "printable_text.hpp"

namespace swarmlet::master {
namespace {

/// The length of the UTF-8 character at `text[i]` (RFC 3629: no overlong forms, no
/// surrogates, nothing past U+10FFFF), or 0 when the bytes there are not one.
std::size_t utf8_length_at(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const unsigned char c = byte(0);
  if (c < 0x80) return 1;
  const std::size_t length = c >= 0xc2 && c <= 0xdf   ? 2
                             : c >= 0xe0 && c <= 0xef ? 3
                             : c >= 0xf0 && c <= 0xf4 ? 4
                                                      : 0;
  if (length == 0 || i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k)
    if ((byte(k) & 0xc0) != 0x80) return 0;
  const unsigned char second = byte(1);
  if ((c == 0xe0 && second < 0xa0) || (c == 0xed && second > 0x9f) ||
      (c == 0xf0 && second < 0x90) || (c == 0xf4 && second > 0x8f))
    return 0;
  return length;
}

/// Whether the UTF-8 character of `length` bytes at `text[i]` is a control a terminal acts on:
/// C1 (U+0080-U+009F; U+009B is a CSI, as ESC [ is) or one that reorders the text around it
/// (the overrides and isolates U+202A-U+202E and U+2066-U+2069, and the marks LRM U+200E,
/// RLM U+200F and ALM U+061C: a warning that reads one thing and says another).
bool is_terminal_control(std::string_view text, std::size_t i, std::size_t length) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
  if (length == 2)
    return (byte(0) == 0xc2 && byte(1) <= 0x9f) || (byte(0) == 0xd8 && byte(1) == 0x9c);
  if (length != 3 || byte(0) != 0xe2) return false;
  return (byte(1) == 0x80 && (byte(2) == 0x8e || byte(2) == 0x8f)) ||
         (byte(1) == 0x80 && byte(2) >= 0xaa && byte(2) <= 0xae) ||
         (byte(1) == 0x81 && byte(2) >= 0xa6 && byte(2) <= 0xa9);
}

}  // namespace

std::string printable(std::string_view line) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(line.size());
  for (std::size_t i = 0; i < line.size();) {
    const auto c = static_cast<unsigned char>(line[i]);
    const std::size_t length = utf8_length_at(line, i);
    if (length > 1 && is_terminal_control(line, i, length)) {
      for (std::size_t k = 0; k < length; ++k) {
        const auto b = static_cast<unsigned char>(line[i + k]);
        out += "\\x";
        out += hex[b >> 4];
        out += hex[b & 15];
      }
      i += length;
      continue;
    }
    if (length == 0 || c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
      ++i;
      continue;
    }
    out.append(line.substr(i, length));
    i += length;
  }
  return out;
}

std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = utf8_length_at(text, i);
    if (length == 0) {
      out += "\xef\xbf\xbd";  // U+FFFD, as the JSON report writes it
      ++i;
      continue;
    }
    out.append(text.substr(i, length));
    i += length;
  }
  return out;
}

}  // namespace swarmlet::master
