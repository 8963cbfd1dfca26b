#pragma once
// Exceptions users raised (a scripted user's Lua errors), counted per distinct (message,
// traceback) as Locust's exceptions report counts them. Bounded: a script whose messages carry an
// id or a time makes a new row each time, so past the cap they are counted in one "other
// exceptions" row, and long texts are cut; neither a worker's report nor the master grows without
// bound. One table per hub thread (no locks), merged as stats tables are.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace swarmlet::stats {

struct exception_key {
  std::string message;
  std::string traceback;
  friend auto operator<=>(const exception_key&, const exception_key&) = default;
};

class exception_table {
 public:
  /// The message of the row that counts the exceptions beyond the cap (its traceback is empty).
  static constexpr const char* other_exceptions = "(other exceptions)";
  /// Distinct exceptions a table holds by default: a hub thread's, and so a report's.
  static constexpr std::size_t default_max_distinct = 100;
  /// Longer messages and tracebacks are cut there (at a UTF-8 character boundary, marked "...").
  static constexpr std::size_t max_message = 1024;
  static constexpr std::size_t max_traceback = 4000;

  explicit exception_table(std::size_t max_distinct = default_max_distinct) noexcept
      : max_distinct_(max_distinct) {}
  /// Holds at most `max_distinct` rows, plus the other_exceptions row.
  void cap(std::size_t max_distinct) noexcept { max_distinct_ = max_distinct; }
  std::size_t max_distinct() const noexcept { return max_distinct_; }

  /// Counts `count` occurrences of an exception: in its own row when it has one or there is
  /// room, else in the other_exceptions row. Texts too long are cut first.
  void record(std::string_view message, std::string_view traceback, std::uint64_t count = 1);
  /// Adds every row of `other` (folded by this table's cap).
  void merge(const exception_table& other);
  /// Everything recorded since the last call: returned, and this table emptied (cap kept).
  exception_table take_delta();

  const std::map<exception_key, std::uint64_t>& entries() const noexcept { return entries_; }
  /// Exceptions counted, every row together.
  std::uint64_t total() const noexcept;
  bool empty() const noexcept { return entries_.empty(); }

 private:
  std::size_t max_distinct_;
  std::map<exception_key, std::uint64_t> entries_;
};

}  // namespace swarmlet::stats
