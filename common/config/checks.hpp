#pragma once
// What a request expects of its response (check), what it takes from it (capture), and what
// its user does when it fails (on_failure), as the scenario file states them after
// validation. The worker applies them (worker/response_checks).
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "json_path.hpp"
#include "regex.hpp"

namespace swarmlet::config {

/// check.status: one status (200), a list ([200, 201]) or a class (2xx), or a list mixing them.
struct status_check {
  std::vector<std::pair<int, int>>
      ranges;            ///< accepted [low, high]: 200 is [200, 200], 2xx [200, 299]
  std::string expected;  ///< for messages: "200", "200 or 201", "2xx"
  bool accepts(int status) const noexcept {
    for (const auto& [low, high] : ranges)
      if (status >= low && status <= high) return true;
    return false;
  }
};
/// One status as written, "404" or "4xx" (any case): its range, or nothing when it is neither.
std::optional<std::pair<int, int>> parse_status(std::string_view text);

/// check.header: {Name: value} (name in any case, the value exact) or {Name: {regex: RE}}.
struct header_check {
  std::string name;
  std::optional<std::string> equals;
  regex matches;  ///< used when `equals` is not set
};

/// check.json: {PATH: value} (equals), or {PATH: {OP: value, ...}} with every OP holding.
struct json_check {
  enum class op { eq, ne, gt, ge, lt, le, exists, contains };
  json_path path;
  op how = op::eq;
  nlohmann::json operand;  ///< exists: true or false
};
/// eq, ne, gt, ge (gte), lt, le (lte), exists, contains; nothing for another word.
std::optional<json_check::op> parse_json_op(std::string_view word);
/// How an operator reads in a message: "==", "!=", ">", ">=", "<", "<=", "exists", "contains".
std::string_view json_op_text(json_check::op how) noexcept;

struct check_spec {
  std::optional<status_check> status;  ///< not set: any status below 400 passes
  std::optional<std::string> body_contains;
  std::optional<std::string> not_contains;
  std::optional<regex> body_regex;
  std::vector<header_check> headers;
  std::vector<json_check> json;
  std::optional<std::chrono::microseconds> max_duration;  ///< a slower response fails
  bool keeps_body() const noexcept {
    return body_contains || not_contains || body_regex || !json.empty();
  }
};

struct capture_spec {
  enum class source { json, header, regex };
  std::string variable;
  source from = source::json;
  json_path path;         ///< json
  std::string header;     ///< header
  regex pattern;          ///< regex: the first group, or the whole match without a group
  bool optional = false;  ///< finding nothing sets the variable to "" instead of failing
};

/// What a user does after a request of its fails: go on with the next step, skip the rest of
/// the task (the default), or stop (Locust's StopUser; the default in on_start).
enum class failure_action { continue_task, end_task, stop_user };
/// continue, end_task, stop_user; nothing for another word.
std::optional<failure_action> parse_failure_action(std::string_view word);

}  // namespace swarmlet::config
