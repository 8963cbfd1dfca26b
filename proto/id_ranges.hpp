#pragma once
// A set of whole numbers (user ids, data row indices) kept as sorted, disjoint, non-adjacent
// closed ranges: a few numbers on the wire when the set is mostly contiguous, as the master
// keeps it (it hands out the lowest free ids first).
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace swarmlet::proto {

class id_ranges {
 public:
  struct range {
    std::uint64_t first = 0;
    std::uint64_t last = 0;  ///< inclusive
    friend bool operator==(const range&, const range&) = default;
  };

  id_ranges() = default;
  /// [first, last]; empty when last < first.
  static id_ranges span(std::uint64_t first, std::uint64_t last);

  void insert(std::uint64_t id) { insert(id, id); }
  /// Adds [first, last] (nothing when last < first).
  void insert(std::uint64_t first, std::uint64_t last);
  void insert(const id_ranges& other);
  void erase(std::uint64_t id);
  void erase(const id_ranges& other);

  bool contains(std::uint64_t id) const noexcept;
  bool empty() const noexcept { return ranges_.empty(); }
  /// How many numbers it holds.
  std::uint64_t size() const noexcept;
  std::optional<std::uint64_t> lowest() const noexcept;
  std::optional<std::uint64_t> highest() const noexcept;
  /// The `n` lowest (all of them when it holds fewer).
  id_ranges lowest(std::uint64_t n) const;
  /// The `n` highest (all of them when it holds fewer).
  id_ranges highest(std::uint64_t n) const;
  /// What both hold.
  id_ranges intersection(const id_ranges& other) const;
  /// Every number in order (for small sets and tests).
  std::vector<std::uint64_t> values() const;
  /// "1-6,9": for messages and test failures.
  std::string str() const;

  const std::vector<range>& ranges() const noexcept { return ranges_; }
  friend bool operator==(const id_ranges&, const id_ranges&) = default;

 private:
  std::vector<range> ranges_;  // sorted, disjoint, never adjacent
};

/// As str(): how GoogleTest prints a set in a failure.
void PrintTo(const id_ranges& ids, std::ostream* os);

}  // namespace swarmlet::proto
