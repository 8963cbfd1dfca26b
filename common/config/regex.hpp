#pragma once
// The scenario's regular expressions (body_regex and header checks, regex captures): PCRE2,
// compiled once when the scenario loads (JIT-compiled where the platform allows, the
// interpreter otherwise) and shared read-only by every hub thread. Matching needs a
// regex_match_buffer, which a user keeps for its life: no compile and no allocation per
// response.
#include <memory>
#include <string>
#include <string_view>

struct pcre2_real_code_8;
struct pcre2_real_match_data_8;

namespace swarmlet::config {

/// PCRE2's match data (the offsets, and the backtracking memory the interpreter keeps in it),
/// reused from one match to the next. Move-only; one per user (not shared between threads).
class regex_match_buffer {
 public:
  regex_match_buffer();
  ~regex_match_buffer();
  regex_match_buffer(regex_match_buffer&& other) noexcept;
  regex_match_buffer& operator=(regex_match_buffer&& other) noexcept;
  regex_match_buffer(const regex_match_buffer&) = delete;
  regex_match_buffer& operator=(const regex_match_buffer&) = delete;

 private:
  friend class regex;
  pcre2_real_match_data_8* data_;
};

/// What one search found.
struct regex_search {
  enum class outcome { matched, no_match, failed };
  outcome result = outcome::no_match;
  /// matched: the first capture group when the pattern has one (empty when that group took
  /// no part in the match), else the whole match; a view into the subject.
  std::string_view text;
  /// failed: PCRE2's reason (e.g. its match limit was hit on this subject).
  std::string error;
  bool matched() const noexcept { return result == outcome::matched; }
};

class regex {
 public:
  regex() = default;
  /// Compiles `pattern` (Perl syntax, bytes: no UTF mode). Throws std::invalid_argument with
  /// PCRE2's message and where: "at character N: missing closing parenthesis".
  explicit regex(std::string_view pattern);

  /// Searches `subject` for the first match, using `buffer`; never throws, never allocates
  /// except on a failure. A regex made by the default constructor matches nothing.
  regex_search search(std::string_view subject, regex_match_buffer& buffer) const;
  const std::string& source() const noexcept { return source_; }
  /// Whether the pattern runs as JIT-compiled machine code (else PCRE2's interpreter).
  bool jit() const noexcept { return jit_; }

 private:
  std::string source_;
  std::shared_ptr<const pcre2_real_code_8> code_;  // immutable once compiled: shared by copies
  bool jit_ = false;
  bool has_group_ = false;
};

}  // namespace swarmlet::config
