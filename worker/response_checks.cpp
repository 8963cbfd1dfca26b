#include "response_checks.hpp"

#include <cstdint>

#include "common/config/duration.hpp"

namespace swarmlet::worker {
namespace {

using config::json_check;

/// A value from the response as a message shows it: at most 60 characters.
std::string shown(std::string text) {
  constexpr std::size_t limit = 60;
  if (text.size() > limit) {
    text.resize(limit);
    text += "...";
  }
  return text;
}

/// -1, 0 or 1 as number `a` is below, equal to or above number `b`. Whole numbers compare
/// exactly whatever their sign: nlohmann converts an unsigned one to signed to compare it with
/// a negative one, and 2^64 - 1 equalled -1.
int compare_numbers(const nlohmann::ordered_json& a, const nlohmann::json& b) {
  const auto three_way = [](const auto& x, const auto& y) { return x < y ? -1 : (y < x ? 1 : 0); };
  if (a.is_number_float() || b.is_number_float())
    return three_way(a.get<double>(), b.get<double>());
  const bool a_negative = !a.is_number_unsigned() && a.get<std::int64_t>() < 0;
  const bool b_negative = !b.is_number_unsigned() && b.get<std::int64_t>() < 0;
  if (a_negative != b_negative) return a_negative ? -1 : 1;
  if (a_negative) return three_way(a.get<std::int64_t>(), b.get<std::int64_t>());
  return three_way(a.get<std::uint64_t>(), b.get<std::uint64_t>());
}

/// Whether `found` in a response is the value `wanted` by a check: numbers by value, objects
/// whatever the order of their keys (the body keeps the server's, the check is YAML's).
bool same_json(const nlohmann::ordered_json& found, const nlohmann::json& wanted) {
  if (found.is_number() && wanted.is_number()) return compare_numbers(found, wanted) == 0;
  if (found.type() != wanted.type()) return false;
  switch (found.type()) {
    case nlohmann::json::value_t::object:
      // Keys are unique in both (the body's parser keeps a repeated key once).
      if (found.size() != wanted.size()) return false;
      for (const auto& [key, value] : wanted.items()) {
        const auto it = found.find(key);
        if (it == found.end() || !same_json(*it, value)) return false;
      }
      return true;
    case nlohmann::json::value_t::array:
      if (found.size() != wanted.size()) return false;
      for (std::size_t i = 0; i < found.size(); ++i)
        if (!same_json(found[i], wanted[i])) return false;
      return true;
    case nlohmann::json::value_t::string:
      return found.get_ref<const std::string&>() == wanted.get_ref<const std::string&>();
    case nlohmann::json::value_t::boolean:
      return found.get<bool>() == wanted.get<bool>();
    case nlohmann::json::value_t::null:
      return true;
    default:  // binary and discarded: never in a parsed body or a check
      return false;
  }
}

std::string check_json(const json_check& c, const nlohmann::ordered_json* body_json) {
  const std::string& path = c.path.source();
  if (body_json == nullptr) return "body is not JSON (checking " + path + ")";
  const nlohmann::ordered_json* found = c.path.find(*body_json);
  if (c.how == json_check::op::exists) {
    const bool wanted = c.operand.get<bool>();
    if (wanted && found == nullptr) return path + " is missing";
    if (!wanted && found != nullptr) return path + " is present, expected it missing";
    return {};
  }
  if (found == nullptr) return path + " is missing";
  bool holds = false;
  const bool numbers = found->is_number() && c.operand.is_number();
  switch (c.how) {
    case json_check::op::eq:
      holds = same_json(*found, c.operand);
      break;
    case json_check::op::ne:
      holds = !same_json(*found, c.operand);
      break;
    case json_check::op::gt:
    case json_check::op::ge:
    case json_check::op::lt:
    case json_check::op::le: {
      // Numbers with numbers, strings with strings; any other pair fails the check.
      if (!numbers && !(found->is_string() && c.operand.is_string())) break;
      const int order = numbers ? compare_numbers(*found, c.operand)
                                : found->get_ref<const std::string&>().compare(
                                      c.operand.get_ref<const std::string&>());
      if (c.how == json_check::op::gt) holds = order > 0;
      if (c.how == json_check::op::ge) holds = order >= 0;
      if (c.how == json_check::op::lt) holds = order < 0;
      if (c.how == json_check::op::le) holds = order <= 0;
      break;
    }
    case json_check::op::contains:
      if (found->is_string() && c.operand.is_string()) {
        holds = found->get_ref<const std::string&>().find(
                    c.operand.get_ref<const std::string&>()) != std::string::npos;
      } else if (found->is_array()) {
        for (const auto& e : *found) holds = holds || same_json(e, c.operand);
      }
      break;
    case json_check::op::exists:
      break;
  }
  if (holds) return {};
  if (c.how == json_check::op::eq)
    return path + " is " + shown(found->dump()) + ", expected " + c.operand.dump();
  if (c.how == json_check::op::contains)
    return path + " is " + shown(found->dump()) + ", expected it to contain " + c.operand.dump();
  return path + " is " + shown(found->dump()) + ", expected " +
         std::string(config::json_op_text(c.how)) + " " + c.operand.dump();
}

std::string check_header(const config::header_check& h, const http::result& r,
                         config::regex_match_buffer& buffer) {
  const auto value = r.response.headers.combined(h.name);
  if (!value) return "header " + h.name + " is missing";
  if (h.equals) {
    if (*value != *h.equals)
      return "header " + h.name + " is '" + shown(*value) + "', expected '" + *h.equals + "'";
    return {};
  }
  const auto m = h.matches.search(*value, buffer);
  if (m.result == config::regex_search::outcome::failed)
    return "header " + h.name + " /" + h.matches.source() + "/: " + m.error;
  if (!m.matched())
    return "header " + h.name + " '" + shown(*value) + "' does not match /" + h.matches.source() +
           "/";
  return {};
}

}  // namespace

std::string first_failed_check(const config::check_spec& check, const http::result& r,
                               const nlohmann::ordered_json* body_json,
                               config::regex_match_buffer& buffer) {
  const int status = r.response.status;
  if (check.status) {
    if (!check.status->accepts(status))
      return "expected status " + check.status->expected + ", got " + std::to_string(status);
  } else if (status >= 400) {
    return http::status_failure(r);
  }
  if (check.max_duration && r.elapsed > *check.max_duration)
    return "slower than " + config::format_duration(*check.max_duration);
  for (const auto& h : check.headers)
    if (auto failure = check_header(h, r, buffer); !failure.empty()) return failure;
  const std::string& body = r.response.body;
  if (check.body_contains && body.find(*check.body_contains) == std::string::npos)
    return "body does not contain '" + *check.body_contains + "'";
  if (check.not_contains && body.find(*check.not_contains) != std::string::npos)
    return "body contains '" + *check.not_contains + "'";
  if (check.body_regex) {
    const auto m = check.body_regex->search(body, buffer);
    if (m.result == config::regex_search::outcome::failed)
      return "body_regex /" + check.body_regex->source() + "/: " + m.error;
    if (!m.matched()) return "body does not match /" + check.body_regex->source() + "/";
  }
  for (const auto& c : check.json)
    if (auto failure = check_json(c, body_json); !failure.empty()) return failure;
  return {};
}

std::string apply_captures(const std::vector<config::capture_spec>& captures, const http::result& r,
                           const nlohmann::ordered_json* body_json,
                           config::regex_match_buffer& buffer,
                           std::unordered_map<std::string, std::string>& values) {
  std::string first_failure;
  for (const auto& c : captures) {
    std::optional<std::string> value;
    std::string looked_for;
    switch (c.from) {
      case config::capture_spec::source::json:
        if (body_json != nullptr) {
          if (const nlohmann::ordered_json* found = c.path.find(*body_json))
            value = found->is_string() ? found->get<std::string>() : found->dump();
        }
        if (!value) looked_for = c.path.source();
        break;
      case config::capture_spec::source::header:
        value = r.response.headers.combined(c.header);
        if (!value) looked_for = "header " + c.header;
        break;
      case config::capture_spec::source::regex: {
        const auto m = c.pattern.search(r.response.body, buffer);
        if (m.matched()) value = std::string(m.text);
        if (!value) looked_for = "/" + c.pattern.source() + "/";
        break;
      }
    }
    if (value) {
      values[c.variable] = std::move(*value);
    } else if (c.optional) {
      values[c.variable].clear();
    } else if (first_failure.empty()) {
      first_failure = "capture " + c.variable + ": nothing matched " + looked_for;
    }
  }
  return first_failure;
}

}  // namespace swarmlet::worker
