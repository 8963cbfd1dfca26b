#include "unique_rows.hpp"

namespace swarmlet::worker {

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

}  // namespace swarmlet::worker
