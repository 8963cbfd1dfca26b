#pragma once
// A small JSONPath subset for checks and captures: $.a.b, $.items[0].id, $['odd key'].
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace swarmlet::config {

class json_path {
 public:
  json_path() = default;
  /// Throws std::invalid_argument explaining what is wrong with `text`.
  explicit json_path(std::string_view text);
  /// The value at the path in `doc`, or null when any step is missing.
  const nlohmann::json* find(const nlohmann::json& doc) const;
  const nlohmann::ordered_json* find(const nlohmann::ordered_json& doc) const;
  const std::string& source() const noexcept { return source_; }

 private:
  template <class Json>
  const Json* find_in(const Json& doc) const;

  std::string source_;
  std::vector<std::variant<std::string, std::size_t>> steps_;
};

}  // namespace swarmlet::config
