#include "unique_rows.hpp"

#include <chrono>

namespace swarmlet::worker {
namespace {

/// How often a user without a unique row looks for the master's next lease. Leases come with
/// spawn commands on the control hub; a user on another thread polls rather than being woken
/// across threads, as this happens only when a worker outruns its lease.
constexpr std::chrono::milliseconds row_poll{20};

}  // namespace

void unique_rows::lease(const proto::row_lease& l) {
  std::lock_guard lock(mutex_);
  proto::id_ranges fresh = l.rows;
  fresh.erase(seen_);
  seen_.insert(l.rows);
  if (file_rows_ > 0) left_.insert(fresh.intersection(proto::id_ranges::span(0, file_rows_ - 1)));
  final_ = l.final;
  said_dry_ = false;
}

unique_rows::outcome unique_rows::take(std::size_t& row) {
  std::lock_guard lock(mutex_);
  if (const auto lowest = left_.lowest()) {
    row = static_cast<std::size_t>(*lowest);
    left_.erase(*lowest);
    ++used_;
    return outcome::row;
  }
  if (final_) return outcome::none;
  if (!said_dry_ && on_dry_) {
    said_dry_ = true;
    on_dry_();
  }
  return outcome::later;
}

std::uint64_t unique_rows::used() const {
  std::lock_guard lock(mutex_);
  return used_;
}

std::optional<std::size_t> take_unique_row(unique_rows* rows, green::event<>& stop) {
  while (rows != nullptr && !stop.ready()) {
    std::size_t row = 0;
    switch (rows->take(row)) {
      case unique_rows::outcome::row:
        return row;
      case unique_rows::outcome::none:
        return std::nullopt;
      case unique_rows::outcome::later:
        if (stop.wait_for(row_poll)) return std::nullopt;
        break;
    }
  }
  return std::nullopt;
}

}  // namespace swarmlet::worker
