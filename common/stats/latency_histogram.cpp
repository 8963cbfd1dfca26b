#include "latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace swarmlet::stats {

namespace {
constexpr std::uint64_t sub_buckets = std::uint64_t{1} << latency_histogram::linear_bits;
}

std::size_t latency_histogram::bucket_of(std::uint64_t v) noexcept {
  if (v > max_trackable_us) v = max_trackable_us;
  if (v < 2 * sub_buckets) return static_cast<std::size_t>(v);
  // Shift so the value keeps linear_bits+1 significant bits: m in [128, 256).
  const int shift = std::bit_width(v) - (linear_bits + 1);
  const std::uint64_t m = v >> shift;
  return static_cast<std::size_t>(sub_buckets * shift + m);
}

std::uint64_t latency_histogram::bucket_low(std::size_t bucket) noexcept {
  if (bucket < 2 * sub_buckets) return bucket;
  const std::uint64_t shift = bucket / sub_buckets - 1;
  const std::uint64_t m = bucket - sub_buckets * shift;
  return m << shift;
}

std::uint64_t latency_histogram::bucket_high(std::size_t bucket) noexcept {
  if (bucket < 2 * sub_buckets) return bucket;
  const std::uint64_t shift = bucket / sub_buckets - 1;
  return bucket_low(bucket) + (std::uint64_t{1} << shift) - 1;
}

void latency_histogram::record_n(std::uint64_t value_us, std::uint64_t n) noexcept {
  const std::size_t b = bucket_of(value_us);
  grow_to(b);
  counts_[b] += n;
  mark(b);
  total_ += n;
}

void latency_histogram::merge(const latency_histogram& other) noexcept {
  if (other.total_ == 0) return;
  if (other.counts_.size() > counts_.size()) counts_.resize(other.counts_.size(), 0);
  other.for_each_marked_bucket([&](std::size_t i) {
    counts_[i] += other.counts_[i];
    return true;
  });
  for (std::size_t w = 0; w < block_words; ++w) blocks_[w] |= other.blocks_[w];
  total_ += other.total_;
}

void latency_histogram::clear() noexcept {
  for_each_marked_bucket([&](std::size_t i) {
    counts_[i] = 0;
    return true;
  });
  blocks_ = {};
  total_ = 0;
}

bool operator==(const latency_histogram& a, const latency_histogram& b) {
  if (a.total_ != b.total_) return false;
  const std::size_t n = std::max(a.counts_.size(), b.counts_.size());
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t x = i < a.counts_.size() ? a.counts_[i] : 0;
    const std::uint64_t y = i < b.counts_.size() ? b.counts_[i] : 0;
    if (x != y) return false;
  }
  return true;
}

std::uint64_t latency_histogram::value_at_quantile(double q) const noexcept {
  if (total_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // The rank of the sample (1-based) that the quantile names, as in HdrHistogram. A product a
  // rounding error puts just past a whole number is that number: 99.9 / 100 is 0.99900...01,
  // whose ceil(q * 1000) was 1000, the max, where the reports' 0.999 said 999 (QA).
  const double at = q * static_cast<double>(total_);
  const auto rank = std::max<std::uint64_t>(
      1,
      static_cast<std::uint64_t>(std::ceil(at - at * 8 * std::numeric_limits<double>::epsilon())));
  std::uint64_t seen = 0;
  std::size_t found = counts_.empty() ? 0 : counts_.size() - 1;
  bool reached = false;
  for_each_marked_bucket([&](std::size_t i) {
    seen += counts_[i];
    reached = seen >= rank;
    if (reached) found = i;
    return !reached;
  });
  if (reached) return (bucket_low(found) + bucket_high(found) + 1) / 2;
  return bucket_low(found);
}

std::vector<std::pair<std::uint32_t, std::uint64_t>> latency_histogram::nonzero_buckets() const {
  std::vector<std::pair<std::uint32_t, std::uint64_t>> out;
  for_each_marked_bucket([&](std::size_t i) {
    if (counts_[i] != 0) out.emplace_back(static_cast<std::uint32_t>(i), counts_[i]);
    return true;
  });
  return out;
}

bool latency_histogram::add_to_bucket(std::uint32_t bucket, std::uint64_t n) noexcept {
  if (bucket >= bucket_count) return false;
  grow_to(bucket);
  counts_[bucket] += n;
  mark(bucket);
  total_ += n;
  return true;
}

}  // namespace swarmlet::stats
