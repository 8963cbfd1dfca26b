#include "cut_text.hpp"

namespace swarmlet::stats {

std::string cut_text(std::string_view text, std::size_t max) {
  if (text.size() <= max) return std::string(text);
  constexpr std::string_view mark = "...";
  std::size_t end = max > mark.size() ? max - mark.size() : 0;
  // Back to the first byte of the character that would be split (continuations are 10xxxxxx).
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end)) + std::string(mark.substr(0, max - end));
}

}  // namespace swarmlet::stats
