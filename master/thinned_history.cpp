#include "thinned_history.hpp"

#include <algorithm>
#include <utility>

namespace swarmlet::master {

thinned_history::thinned_history(std::size_t max_rows)
    : max_rows_(std::max<std::size_t>(max_rows, 2)) {}

void thinned_history::add(history_row row) {
  row.interval = intervals_++;
  last_ = row;
  if (row.interval % stride_ != 0) return;
  if (rows_.size() == max_rows_) {
    // Keep the rows whose interval is a multiple of the doubled stride: the first row (interval
    // 0) stays, and the spacing is even again.
    stride_ *= 2;
    std::erase_if(rows_, [this](const history_row& r) { return r.interval % stride_ != 0; });
    rows_.shrink_to_fit();
    if (row.interval % stride_ != 0) return;
  }
  rows_.push_back(std::move(row));
}

std::size_t thinned_history::first_from(std::uint64_t interval) const {
  const auto at =
      std::lower_bound(rows_.begin(), rows_.end(), interval,
                       [](const history_row& r, std::uint64_t i) { return r.interval < i; });
  return static_cast<std::size_t>(at - rows_.begin());
}

}  // namespace swarmlet::master
