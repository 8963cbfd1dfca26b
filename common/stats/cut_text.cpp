#include "cut_text.hpp"

namespace swarmlet::stats {

std::string_view utf8_prefix(std::string_view text, std::size_t max) noexcept {
  if (text.size() <= max) return text;
  std::size_t end = max;
  // Back to the first byte of the character that would be split (continuations are 10xxxxxx).
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

std::string cut_text(std::string_view text, std::size_t max) {
  if (text.size() <= max) return std::string(text);
  constexpr std::string_view mark = "...";
  const std::string_view kept = utf8_prefix(text, max > mark.size() ? max - mark.size() : 0);
  return std::string(kept) + std::string(mark.substr(0, max - kept.size()));
}

}  // namespace swarmlet::stats
