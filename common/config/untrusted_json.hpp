#pragma once
// JSON from outside (response bodies, WebSocket messages, API request bodies, sw.json_decode)
// parsed with a bound on nesting. nlohmann's parser keeps its own stack, but copying, comparing
// and dumping a document recurse once per level, and they run on 256 KiB green-thread stacks: a
// body of 10,000 nested objects crashed the worker when a check printed what it found.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace swarmlet::config {

/// Deeper JSON from outside is refused, as Python's json refuses ~1,000 levels. Real APIs nest
/// a dozen; a 512-level dump uses well under 100 KiB of stack.
inline constexpr int max_json_depth = 512;

/// Whether no array or object in `text` opens more than `max_depth` levels deep (strings and
/// their escapes skipped); says nothing about whether `text` is JSON.
bool json_nesting_within(std::string_view text, int max_depth = max_json_depth);

/// `text` parsed, or a discarded value when it is not JSON or nests deeper than max_json_depth;
/// then `why`, when given, says which ("not JSON", "JSON nested deeper than 512 levels").
nlohmann::json parse_untrusted_json(std::string_view text, std::string* why = nullptr);

/// As parse_untrusted_json, with each object's keys kept in the order `text` has them, for
/// what is sent on as written (a capture of an object, a value a message shows), as k6's
/// JSON.parse keeps them.
nlohmann::ordered_json parse_untrusted_ordered_json(std::string_view text,
                                                    std::string* why = nullptr);

}  // namespace swarmlet::config
