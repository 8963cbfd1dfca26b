#pragma once
// The rows of one `order: unique` data file that this worker may use: the master leases them
// (disjoint from every other worker's), users take them one per iteration, lowest first. Users
// of every hub thread take from the same lease, so a mutex guards it: one lock per iteration of
// a unique-data user, never on the path of a request.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>

#include "common/green/event.hpp"
#include "proto/messages.hpp"

namespace swarmlet::worker {

class unique_rows {
 public:
  /// `file_rows`: rows in the data file (leased rows beyond it are ignored). `on_dry` is called
  /// (on the taking thread, once until the next lease) when a user finds the lease used up
  /// while more may come: the worker reports at once, so the master tops it up at once.
  explicit unique_rows(std::uint64_t file_rows, std::function<void()> on_dry = {})
      : file_rows_(file_rows), on_dry_(std::move(on_dry)) {}

  /// The master's lease (it only grows: rows seen before are not given again).
  void lease(const proto::row_lease& l);

  enum class outcome {
    row,    ///< `row` is this iteration's, and nobody else's in the whole test
    later,  ///< none left now, more may come with the master's next lease
    none,   ///< every row of the test is spoken for: the user stops
  };
  /// The next row (any thread).
  outcome take(std::size_t& row);
  /// Rows taken so far.
  std::uint64_t used() const;

 private:
  mutable std::mutex mutex_;
  const std::uint64_t file_rows_;
  proto::id_ranges left_;  // leased, not taken
  proto::id_ranges seen_;  // ever leased
  std::uint64_t used_ = 0;
  bool final_ = false;
  const std::function<void()> on_dry_;
  bool said_dry_ = false;
};

/// The next row of `rows` for a user (on its green thread), waiting while the master's next
/// lease is on its way; none when every row is spoken for (or `rows` is null), or when `stop`
/// was sent meanwhile.
std::optional<std::size_t> take_unique_row(unique_rows* rows, green::event<>& stop);

}  // namespace swarmlet::worker
