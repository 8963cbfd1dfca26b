// libFuzzer target: the JSONPath subset of checks and captures. Compiling a path must succeed or
// throw std::invalid_argument; evaluating one against any document must not crash.
// The ordered parser that response bodies go through must read the same documents as nlohmann's,
// in the same places, only keeping the keys' order.
// Input: the path, a newline, then a JSON document (invalid JSON: the path alone is compiled).
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string_view>

#include "common/config/json_path.hpp"
#include "common/config/untrusted_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto newline = input.find('\n');
  const std::string_view path_text = input.substr(0, newline);
  swarmlet::config::json_path path;
  try {
    path = swarmlet::config::json_path(path_text);
  } catch (const std::invalid_argument&) {
    return 0;
  }
  if (path.source() != path_text) __builtin_trap();
  if (newline == std::string_view::npos) return 0;
  const std::string_view text = input.substr(newline + 1);
  const auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded()) return 0;
  const nlohmann::json* found = path.find(doc);
  if (found != nullptr) (void)found->dump();
  // Compared within the nesting bound only: converting a document recurses once per level.
  if (!swarmlet::config::json_nesting_within(text)) return 0;
  const auto ordered = swarmlet::config::parse_untrusted_ordered_json(text);
  if (ordered.is_discarded() || nlohmann::json(ordered) != doc) __builtin_trap();
  const nlohmann::ordered_json* found_ordered = path.find(ordered);
  if ((found == nullptr) != (found_ordered == nullptr)) __builtin_trap();
  if (found != nullptr && nlohmann::json(*found_ordered) != *found) __builtin_trap();
  return 0;
}
