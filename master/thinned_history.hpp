#pragma once
// The history the charts read (the HTML report, the web UI, the history download), bounded: a
// test of any length keeps at most max_rows rows. Whenever it fills, every second row goes and
// only every second interval is kept from then on, so the rows stay evenly spaced over the whole
// test (1 s apart in a short test, 2 s after max_rows seconds, 4 s after twice that...). A row
// per second kept for ever grew the master 0.7 MB an hour (bench/README.md, the soak); the
// history CSV written as the test goes (--csv) still gains every interval's row.
#include <cstddef>
#include <cstdint>
#include <deque>

#include "history_row.hpp"

namespace swarmlet::master {

class thinned_history {
 public:
  static constexpr std::size_t default_max_rows = 1000;

  /// `max_rows` is at least 2.
  explicit thinned_history(std::size_t max_rows = default_max_rows);

  /// The row of the interval just closed; its `interval` is set here (0, 1, 2, ...).
  void add(history_row row);
  /// The rows kept, oldest first, in increasing `interval`.
  const std::deque<history_row>& rows() const noexcept { return rows_; }
  /// The row of the last interval closed, kept or not (the CSV appends each); null before any.
  const history_row* last() const noexcept { return intervals_ == 0 ? nullptr : &last_; }
  /// Intervals between two kept rows now (1, 2, 4, ...).
  std::uint64_t stride() const noexcept { return stride_; }
  /// The index in rows() of the first row whose interval is `interval` or later.
  std::size_t first_from(std::uint64_t interval) const;

 private:
  std::size_t max_rows_;
  std::deque<history_row> rows_;  ///< a deque: no doubling, no copy as it grows
  history_row last_;
  std::uint64_t intervals_ = 0;
  std::uint64_t stride_ = 1;
};

}  // namespace swarmlet::master
