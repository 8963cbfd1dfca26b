#include "json_path.hpp"

#include <cctype>
#include <stdexcept>

namespace swarmlet::config {

json_path::json_path(std::string_view text) : source_(text) {
  auto fail = [&](const std::string& why) {
    throw std::invalid_argument("JSON path '" + std::string(text) + "': " + why +
                                " (expected e.g. $.token or $.items[0].id)");
  };
  if (text.empty() || text[0] != '$') fail("must start with $");
  std::size_t i = 1;
  while (i < text.size()) {
    if (text[i] == '.') {
      std::size_t j = i + 1;
      while (j < text.size() && text[j] != '.' && text[j] != '[') ++j;
      if (j == i + 1) fail("empty key after '.'");
      steps_.emplace_back(std::string(text.substr(i + 1, j - i - 1)));
      i = j;
    } else if (text[i] == '[') {
      const std::size_t close = text.find(']', i);
      if (close == std::string_view::npos) fail("'[' without ']'");
      std::string_view inside = text.substr(i + 1, close - i - 1);
      if (inside.size() >= 2 && (inside.front() == '\'' || inside.front() == '"') &&
          inside.back() == inside.front()) {
        steps_.emplace_back(std::string(inside.substr(1, inside.size() - 2)));
      } else {
        if (inside.empty()) fail("empty index");
        std::size_t n = 0;
        for (char c : inside) {
          if (!std::isdigit(static_cast<unsigned char>(c)))
            fail("index '" + std::string(inside) + "' is not a number");
          n = n * 10 + static_cast<std::size_t>(c - '0');
          if (n > (1u << 30)) fail("index too large");
        }
        steps_.emplace_back(n);
      }
      i = close + 1;
    } else {
      fail("unexpected '" + std::string(1, text[i]) + "'");
    }
  }
}

template <class Json>
const Json* json_path::find_in(const Json& doc) const {
  const Json* at = &doc;
  for (const auto& step : steps_) {
    if (const auto* key = std::get_if<std::string>(&step)) {
      if (!at->is_object()) return nullptr;
      auto it = at->find(*key);
      if (it == at->end()) return nullptr;
      at = &*it;
    } else {
      const std::size_t index = std::get<std::size_t>(step);
      if (!at->is_array() || index >= at->size()) return nullptr;
      at = &(*at)[index];
    }
  }
  return at;
}

const nlohmann::json* json_path::find(const nlohmann::json& doc) const {
  return find_in(doc);
}

const nlohmann::ordered_json* json_path::find(const nlohmann::ordered_json& doc) const {
  return find_in(doc);
}

}  // namespace swarmlet::config
