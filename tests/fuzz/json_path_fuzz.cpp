// libFuzzer target: the JSONPath subset of checks and captures. Compiling a path must succeed or
// throw std::invalid_argument; evaluating one against any document must not crash.
// Input: the path, a newline, then a JSON document (invalid JSON: the path alone is compiled).
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string_view>

#include "common/config/json_path.hpp"

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
  const auto doc = nlohmann::json::parse(input.substr(newline + 1), nullptr, false);
  if (doc.is_discarded()) return 0;
  if (const nlohmann::json* found = path.find(doc)) (void)found->dump();
  return 0;
}
