#include "checks.hpp"

#include <cctype>

namespace swarmlet::config {

std::optional<std::pair<int, int>> parse_status(std::string_view text) {
  if (text.size() != 3 || text[0] < '1' || text[0] > '5') return std::nullopt;
  const int hundreds = (text[0] - '0') * 100;
  auto is_x = [](char c) { return c == 'x' || c == 'X'; };
  if (is_x(text[1]) && is_x(text[2])) return std::pair{hundreds, hundreds + 99};
  if (!std::isdigit(static_cast<unsigned char>(text[1])) ||
      !std::isdigit(static_cast<unsigned char>(text[2])))
    return std::nullopt;
  const int code = hundreds + (text[1] - '0') * 10 + (text[2] - '0');
  return std::pair{code, code};
}

std::optional<json_check::op> parse_json_op(std::string_view word) {
  using op = json_check::op;
  if (word == "eq") return op::eq;
  if (word == "ne") return op::ne;
  if (word == "gt") return op::gt;
  if (word == "ge" || word == "gte") return op::ge;
  if (word == "lt") return op::lt;
  if (word == "le" || word == "lte") return op::le;
  if (word == "exists") return op::exists;
  if (word == "contains") return op::contains;
  return std::nullopt;
}

std::string_view json_op_text(json_check::op how) noexcept {
  switch (how) {
    case json_check::op::eq:
      return "==";
    case json_check::op::ne:
      return "!=";
    case json_check::op::gt:
      return ">";
    case json_check::op::ge:
      return ">=";
    case json_check::op::lt:
      return "<";
    case json_check::op::le:
      return "<=";
    case json_check::op::exists:
      return "exists";
    case json_check::op::contains:
      return "contains";
  }
  return "?";
}

std::optional<failure_action> parse_failure_action(std::string_view word) {
  if (word == "continue") return failure_action::continue_task;
  if (word == "end_task") return failure_action::end_task;
  if (word == "stop_user") return failure_action::stop_user;
  return std::nullopt;
}

}  // namespace swarmlet::config
