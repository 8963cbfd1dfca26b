#include "id_ranges.hpp"

#include <algorithm>
#include <limits>
#include <ostream>

namespace swarmlet::proto {

id_ranges id_ranges::span(std::uint64_t first, std::uint64_t last) {
  id_ranges out;
  out.insert(first, last);
  return out;
}

void id_ranges::insert(std::uint64_t first, std::uint64_t last) {
  if (last < first) return;
  // The first range that ends at or after first - 1 (it may touch or overlap the new one).
  auto it = std::lower_bound(ranges_.begin(), ranges_.end(), first,
                             [](const range& r, std::uint64_t v) { return r.last + 1 < v; });
  auto end = it;
  // Merge every range that starts at or before last + 1 (no overflow: last + 1 only when it fits).
  while (end != ranges_.end() &&
         (last == std::numeric_limits<std::uint64_t>::max() || end->first <= last + 1)) {
    first = std::min(first, end->first);
    last = std::max(last, end->last);
    ++end;
  }
  it = ranges_.erase(it, end);
  ranges_.insert(it, range{first, last});
}

void id_ranges::insert(const id_ranges& other) {
  for (const auto& r : other.ranges_) insert(r.first, r.last);
}

void id_ranges::erase(std::uint64_t id) {
  auto it = std::lower_bound(ranges_.begin(), ranges_.end(), id,
                             [](const range& r, std::uint64_t v) { return r.last < v; });
  if (it == ranges_.end() || it->first > id) return;
  if (it->first == id && it->last == id) {
    ranges_.erase(it);
  } else if (it->first == id) {
    ++it->first;
  } else if (it->last == id) {
    --it->last;
  } else {
    const range tail{id + 1, it->last};
    it->last = id - 1;
    ranges_.insert(std::next(it), tail);
  }
}

void id_ranges::erase(const id_ranges& other) {
  if (other.empty() || empty()) return;
  std::vector<range> out;
  auto o = other.ranges_.begin();
  for (range r : ranges_) {
    while (o != other.ranges_.end() && o->last < r.first) ++o;
    auto cut = o;
    bool whole = false;
    while (cut != other.ranges_.end() && cut->first <= r.last) {
      if (cut->first > r.first) out.push_back({r.first, cut->first - 1});
      if (cut->last >= r.last) {
        whole = true;
        break;
      }
      r.first = cut->last + 1;
      ++cut;
    }
    if (!whole) out.push_back(r);
  }
  ranges_ = std::move(out);
}

bool id_ranges::contains(std::uint64_t id) const noexcept {
  auto it = std::lower_bound(ranges_.begin(), ranges_.end(), id,
                             [](const range& r, std::uint64_t v) { return r.last < v; });
  return it != ranges_.end() && it->first <= id;
}

std::uint64_t id_ranges::size() const noexcept {
  std::uint64_t n = 0;
  for (const auto& r : ranges_) n += r.last - r.first + 1;
  return n;
}

std::optional<std::uint64_t> id_ranges::lowest() const noexcept {
  if (ranges_.empty()) return std::nullopt;
  return ranges_.front().first;
}

std::optional<std::uint64_t> id_ranges::highest() const noexcept {
  if (ranges_.empty()) return std::nullopt;
  return ranges_.back().last;
}

id_ranges id_ranges::lowest(std::uint64_t n) const {
  id_ranges out;
  for (const auto& r : ranges_) {
    if (n == 0) break;
    const std::uint64_t take = std::min(n, r.last - r.first + 1);
    out.ranges_.push_back({r.first, r.first + take - 1});
    n -= take;
  }
  return out;
}

id_ranges id_ranges::highest(std::uint64_t n) const {
  id_ranges out;
  for (auto it = ranges_.rbegin(); it != ranges_.rend() && n > 0; ++it) {
    const std::uint64_t take = std::min(n, it->last - it->first + 1);
    out.ranges_.insert(out.ranges_.begin(), range{it->last - take + 1, it->last});
    n -= take;
  }
  return out;
}

id_ranges id_ranges::intersection(const id_ranges& other) const {
  id_ranges out;
  auto a = ranges_.begin();
  auto b = other.ranges_.begin();
  while (a != ranges_.end() && b != other.ranges_.end()) {
    const std::uint64_t first = std::max(a->first, b->first);
    const std::uint64_t last = std::min(a->last, b->last);
    if (first <= last) out.ranges_.push_back({first, last});
    if (a->last < b->last)
      ++a;
    else
      ++b;
  }
  return out;
}

std::vector<std::uint64_t> id_ranges::values() const {
  std::vector<std::uint64_t> out;
  for (const auto& r : ranges_)
    for (std::uint64_t v = r.first;; ++v) {
      out.push_back(v);
      if (v == r.last) break;
    }
  return out;
}

std::string id_ranges::str() const {
  std::string out;
  for (const auto& r : ranges_) {
    if (!out.empty()) out += ',';
    out += std::to_string(r.first);
    if (r.last != r.first) out += "-" + std::to_string(r.last);
  }
  return out.empty() ? "{}" : out;
}

void PrintTo(const id_ranges& ids, std::ostream* os) {
  *os << ids.str();
}

}  // namespace swarmlet::proto
