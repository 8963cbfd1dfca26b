#pragma once
// Strings with ${...} substitutions, compiled once when the scenario loads:
//   ${name}            a variable: a capture, a data column, or a built-in: user_id (unique in
//                      the whole test), iteration, worker_index, worker_count
//   ${random(a,b)}     a uniform random integer in [a, b]
//   ${random_string(n)} n random letters and digits
//   ${uuid()}          a random version 4 UUID, new at each render
//   ${now_ms()}        the time of the render, Unix milliseconds
//   ${env.NAME}        the environment variable NAME where the scenario is loaded, fixed then
//                      (resolve_environment); ${env.NAME:-default} when it may be unset
// "$${" writes a literal "${".
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "user_random.hpp"

namespace swarmlet::config {

/// What a user has at hand when a template is rendered.
struct render_context {
  std::function<const std::string*(std::string_view name)> lookup;  ///< variables; null if unset
  user_random* rng = nullptr;
};

/// Where ${env.NAME} finds its value: nothing when NAME is unset. An empty lookup stands for no
/// environment at all (a scenario posted to the web API reads none).
using environment_lookup = std::function<std::optional<std::string>(const std::string& name)>;
/// The environment of this process (getenv).
environment_lookup process_environment();

class template_string {
 public:
  template_string() = default;
  /// Compiles `text`; throws std::invalid_argument with the reason and the offset in `text`
  /// (as "at character N: ...") when a substitution is malformed.
  explicit template_string(std::string_view text);

  /// Makes every ${env.NAME} a fixed part of the text: NAME's value from `env`, else its
  /// default. Records each value found in `used` (NAME -> value). Throws std::invalid_argument
  /// naming the first variable that is unset (or, with an empty `env`, any) and has no default.
  void resolve_environment(const environment_lookup& env, std::map<std::string, std::string>& used);

  /// The text with every substitution made. An unset variable renders as "" (the loader has
  /// already refused names that can never be set).
  std::string render(const render_context& ctx) const;
  void render_to(const render_context& ctx, std::string& out) const;

  bool constant() const noexcept {
    return parts_.size() <= 1 && (parts_.empty() || parts_[0].kind == part_kind::literal);
  }
  const std::string& source() const noexcept { return source_; }
  /// Every variable name it refers to (not functions).
  std::vector<std::string> variables() const;
  /// Its fixed parts joined (with ${env...} in, once resolve_environment ran): text that every
  /// render holds, whatever the variables, to check when the scenario loads.
  std::string fixed_text() const;

 private:
  enum class part_kind { literal, variable, random_int, random_string, uuid, now_ms, env };
  struct part {
    part_kind kind;
    std::string text;  // literal text, variable name, or environment variable name
    std::int64_t a = 0, b = 0;
    std::optional<std::string> fallback = std::nullopt;  // env: the default after ":-"
  };
  std::string source_;
  std::vector<part> parts_;
};

}  // namespace swarmlet::config
