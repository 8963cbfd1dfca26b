#pragma once
// Latency histogram with HdrHistogram-style log-linear buckets: exact below 256 µs, then 128
// buckets per power of two, so any recorded value is within 1/128 (0.8%) of its bucket's
// bounds, from 1 µs to over an hour, in fixed memory. Two histograms merge exactly (bucket
// counts add), so a percentile of a merge is the percentile of all samples' buckets.
#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <vector>

namespace swarmlet::stats {

class latency_histogram {
 public:
  /// Values above this (µs; about 71 minutes) are counted in the last bucket.
  static constexpr std::uint64_t max_trackable_us = (std::uint64_t{1} << 32) - 1;
  static constexpr int linear_bits = 7;  // 128 sub-buckets per power of two
  static constexpr std::size_t bucket_count =
      (32 - linear_bits) * (1u << linear_bits) + (1u << linear_bits);

  latency_histogram() = default;

  /// Records one value in microseconds.
  void record(std::uint64_t value_us) noexcept { record_n(value_us, 1); }
  void record_n(std::uint64_t value_us, std::uint64_t n) noexcept;
  /// Adds every count of `other`.
  void merge(const latency_histogram& other) noexcept;
  void clear() noexcept;

  std::uint64_t count() const noexcept { return total_; }
  bool empty() const noexcept { return total_ == 0; }
  /// The value at quantile `q` in [0,1] (µs): the middle of the bucket holding the sample of
  /// that rank. 0 when empty.
  std::uint64_t value_at_quantile(double q) const noexcept;

  static std::size_t bucket_of(std::uint64_t value_us) noexcept;
  static std::uint64_t bucket_low(std::size_t bucket) noexcept;
  static std::uint64_t bucket_high(std::size_t bucket) noexcept;  // inclusive

  /// Non-zero buckets as (bucket, count), for compact encoding.
  std::vector<std::pair<std::uint32_t, std::uint64_t>> nonzero_buckets() const;
  /// Adds `n` to a bucket; false when the bucket number is out of range (untrusted input).
  bool add_to_bucket(std::uint32_t bucket, std::uint64_t n) noexcept;

  friend bool operator==(const latency_histogram& a, const latency_histogram& b);

 private:
  /// Buckets per bit of blocks_.
  static constexpr std::size_t block_size = 8;
  static constexpr std::size_t block_words = (bucket_count / block_size + 63) / 64;

  void grow_to(std::size_t bucket) {
    if (bucket >= counts_.size()) counts_.resize(bucket + 1, 0);
  }
  void mark(std::size_t bucket) noexcept {
    blocks_[bucket / block_size / 64] |= std::uint64_t{1} << (bucket / block_size % 64);
  }
  /// Calls f(bucket) for each bucket this histogram has in a marked block, in order, until f
  /// returns false. A moved-from histogram may keep its marks and no buckets: none is visited.
  template <class F>
  void for_each_marked_bucket(F f) const {
    for (std::size_t w = 0; w < block_words; ++w)
      for (std::uint64_t bits = blocks_[w]; bits != 0; bits &= bits - 1) {
        const std::size_t first =
            (w * 64 + static_cast<std::size_t>(std::countr_zero(bits))) * block_size;
        const std::size_t end = std::min(first + block_size, counts_.size());
        for (std::size_t i = first; i < end; ++i)
          if (!f(i)) return;
      }
  }
  // Grows up to the highest bucket used (at most bucket_count): fast responses cost little.
  std::vector<std::uint64_t> counts_;
  // A bit per block of block_size buckets, set once a count was added there. A second's
  // histogram of a name holds a few values among a thousand buckets or more: encoding, merging
  // and clearing it visit only the marked blocks instead of every bucket.
  std::array<std::uint64_t, block_words> blocks_{};
  std::uint64_t total_ = 0;
};

}  // namespace swarmlet::stats
