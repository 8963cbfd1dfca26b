#include "untrusted_json.hpp"

#include "ordered_json_parser.hpp"

namespace swarmlet::config {

bool json_nesting_within(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

nlohmann::json parse_untrusted_json(std::string_view text, std::string* why) {
  if (!json_nesting_within(text)) {
    if (why != nullptr)
      *why = "JSON nested deeper than " + std::to_string(max_json_depth) + " levels";
    return nlohmann::json(nlohmann::json::value_t::discarded);
  }
  nlohmann::json parsed = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (parsed.is_discarded() && why != nullptr) *why = "not JSON";
  return parsed;
}

nlohmann::ordered_json parse_untrusted_ordered_json(std::string_view text, std::string* why) {
  if (!json_nesting_within(text)) {
    if (why != nullptr)
      *why = "JSON nested deeper than " + std::to_string(max_json_depth) + " levels";
    return nlohmann::ordered_json(nlohmann::ordered_json::value_t::discarded);
  }
  auto parsed = parse_ordered_json(text);
  if (!parsed) {
    if (why != nullptr) *why = "not JSON";
    return nlohmann::ordered_json(nlohmann::ordered_json::value_t::discarded);
  }
  return std::move(*parsed);
}

}  // namespace swarmlet::config
