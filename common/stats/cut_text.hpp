#pragma once
// Texts a report carries are bounded (a name, an error message, an exception's traceback): one
// longer is cut as it is recorded, where it is still whole, rather than refused with its report.
#include <string>
#include <string_view>

namespace swarmlet::stats {

/// `text` cut to at most `max` bytes without splitting a UTF-8 character, marked "..." where
/// it was cut (as much of the mark as fits); `text` itself when it fits.
std::string cut_text(std::string_view text, std::size_t max);

/// The longest start of `text` of at most `max` bytes that splits no UTF-8 character, unmarked
/// (a bound the reader checks, where a mark would take room from the text).
std::string_view utf8_prefix(std::string_view text, std::size_t max) noexcept;

}  // namespace swarmlet::stats
