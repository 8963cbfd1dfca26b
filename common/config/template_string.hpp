#pragma once
// Strings with ${...} substitutions, compiled once when the scenario loads:
//   ${name}            a variable: a capture, a data column, or a built-in: user_id (unique in
//                      the whole test), iteration, worker_index, worker_count
//   ${random(a,b)}     a uniform random integer in [a, b]
//   ${random_string(n)} n random letters and digits
// "$${" writes a literal "${".
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace swarmlet::config {

/// What a user has at hand when a template is rendered.
struct render_context {
  std::function<const std::string*(std::string_view name)> lookup;  ///< variables; null if unset
  std::mt19937_64* rng = nullptr;
};

class template_string {
 public:
  template_string() = default;
  /// Compiles `text`; throws std::invalid_argument with the reason and the offset in `text`
  /// (as "at character N: ...") when a substitution is malformed.
  explicit template_string(std::string_view text);

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

 private:
  enum class part_kind { literal, variable, random_int, random_string };
  struct part {
    part_kind kind;
    std::string text;  // literal text or variable name
    std::int64_t a = 0, b = 0;
  };
  std::string source_;
  std::vector<part> parts_;
};

}  // namespace swarmlet::config
