#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "common/stats/latency_histogram.hpp"
#include "common/stats/stats_codec.hpp"
#include "common/stats/stats_table.hpp"

namespace s = swarmlet::stats;

namespace {

std::uint64_t exact_quantile(std::vector<std::uint64_t> v, double q) {
  std::sort(v.begin(), v.end());
  const auto rank = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(q * v.size())));
  return v[rank - 1];
}

TEST(LatencyHistogram, BucketsCoverEveryValueContiguously) {
  for (std::size_t b = 0; b + 1 < s::latency_histogram::bucket_count; ++b) {
    ASSERT_EQ(s::latency_histogram::bucket_high(b) + 1, s::latency_histogram::bucket_low(b + 1))
        << "bucket " << b;
    ASSERT_EQ(s::latency_histogram::bucket_of(s::latency_histogram::bucket_low(b)), b);
    ASSERT_EQ(s::latency_histogram::bucket_of(s::latency_histogram::bucket_high(b)), b);
  }
  // An hour in microseconds is still tracked with its own bucket.
  EXPECT_LT(s::latency_histogram::bucket_of(3'600'000'000ull),
            s::latency_histogram::bucket_count - 1);
}

TEST(LatencyHistogram, EveryPercentileIsWithinOnePercentOfTheExactOne) {
  std::mt19937_64 rng(42);
  for (int trial = 0; trial < 20; ++trial) {
    std::lognormal_distribution<double> dist(std::log(1000.0 * (trial + 1)), 1.5);
    std::vector<std::uint64_t> values;
    s::latency_histogram h;
    for (int i = 0; i < 20000; ++i) {
      const auto v =
          std::clamp<std::uint64_t>(static_cast<std::uint64_t>(dist(rng)), 1, 3'600'000'000ull);
      values.push_back(v);
      h.record(v);
    }
    for (double q : {0.0, 0.5, 0.66, 0.9, 0.95, 0.99, 0.999, 0.9999, 1.0}) {
      const double exact = static_cast<double>(exact_quantile(values, q));
      const double got = static_cast<double>(h.value_at_quantile(q));
      EXPECT_LE(std::abs(got - exact), exact * 0.01 + 0.5) << "trial " << trial << " q " << q;
    }
  }
}

TEST(LatencyHistogram, AQuantileWithARoundingErrorNamesTheRankItMeans) {
  // QA: a threshold's p99.9 is 99.9 / 100 = 0.99900...01; of 1000 samples ceil(q * n) named
  // the 1000th (the max) where the reports' 0.999 named the 999th.
  s::latency_histogram h;
  for (int i = 0; i < 999; ++i) h.record(1000);
  h.record(5'000'000);
  const auto p999 = h.value_at_quantile(0.999);
  EXPECT_LT(p999, 1100u);
  EXPECT_EQ(h.value_at_quantile(99.9 / 100.0), p999);
  // The sample at the rank meant is 1000 us; those below it 10, those above 5 s.
  s::latency_histogram at_rank;
  at_rank.record(1000);
  for (const std::uint64_t tenths : {560u, 675u, 535u, 999u}) {  // of a percent: 56, 67.5...
    for (std::uint64_t n : {25u, 50u, 75u, 360u, 1000u, 20000u}) {
      const std::uint64_t rank = std::max<std::uint64_t>(1, (tenths * n + 999) / 1000);
      const double percent = static_cast<double>(tenths) / 10;  // as a threshold reads it
      s::latency_histogram h2;
      for (std::uint64_t r = 1; r <= n; ++r)
        h2.record(r < rank ? 10 : r == rank ? 1000 : 5'000'000);
      EXPECT_EQ(h2.value_at_quantile(percent / 100.0), at_rank.value_at_quantile(0.5))
          << percent << "% of " << n << ": rank " << rank;
    }
  }
}

TEST(RequestStats, APercentilePastWhatTheHistogramTracksIsTheHighestNotTheCap) {
  // Two requests of two hours among 98 of 1 ms: p99 read 4,294,967 ms (the 71-minute cap),
  // a time no request took.
  s::request_stats r;
  for (int i = 0; i < 98; ++i) r.record(1000, 0, false);
  const std::uint64_t two_hours_us = 7'200'000'000;
  r.record(two_hours_us, 0, false);
  r.record(two_hours_us, 0, false);
  EXPECT_DOUBLE_EQ(r.percentile_ms(0.99), 7'200'000.0);
  EXPECT_NEAR(r.percentile_ms(0.5), 1.0, 0.01);
  EXPECT_DOUBLE_EQ(r.service_percentile_ms(0.99), 7'200'000.0) << "no service times: the same";
}

TEST(RequestStats, TheHundredthPercentileIsTheMaxAndTheZerothTheMin) {
  // QA: samples of 10 ms and 58.008 ms read p(100) 57.984 (its bucket's middle) beside a max
  // of 58.008, and `max >= 58ms` passed where `p(100) >= 58ms` failed.
  s::request_stats r;
  r.record(10'000, 0, false);
  r.record(58'008, 0, false);
  EXPECT_DOUBLE_EQ(r.percentile_ms(1.0), 58.008);
  EXPECT_DOUBLE_EQ(r.percentile_ms(0.0), 10.0);
  EXPECT_DOUBLE_EQ(r.percentile_ms(1.0), r.max_ms());
}

TEST(RequestStats, TheServiceMaxIsTheHighestServiceTimeNotTheHighestResponse) {
  // QA: service p99.99 read 0.674 ms and its p100 ("svc max") 207 ms, the response max: the
  // requests were 0.1 ms long, measured from an intended start 200 ms before.
  s::request_stats r;
  for (int i = 0; i < 99; ++i) r.record_scheduled(200'100, 100, 0, false);
  r.record_scheduled(207'265, 200, 0, false);  // late, and the slowest service too
  EXPECT_DOUBLE_EQ(r.percentile_ms(1.0), 207.265) << "the response max stays exact";
  EXPECT_DOUBLE_EQ(r.service_percentile_ms(1.0), 0.2) << "exact below 256 µs";
  EXPECT_DOUBLE_EQ(r.service_percentile_ms(0.5), 0.1);
  // Above 256 µs, to its bucket (0.8%), and never above the response max.
  s::request_stats slower;
  slower.record_scheduled(90'000, 40'000, 0, false);
  slower.record_scheduled(95'000, 1'000, 0, false);
  EXPECT_NEAR(slower.service_percentile_ms(1.0), 40.0, 40.0 * 0.008);
  EXPECT_LE(slower.service_percentile_ms(1.0), slower.max_ms());
}

TEST(LatencyHistogram, MergeIsExact) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<std::uint64_t> dist(1, 10'000'000);
  s::latency_histogram all, a, b, c;
  for (int i = 0; i < 30000; ++i) {
    const auto v = dist(rng);
    all.record(v);
    (i % 3 == 0 ? a : i % 3 == 1 ? b : c).record(v);
  }
  s::latency_histogram ab_c = a;
  ab_c.merge(b);
  ab_c.merge(c);
  s::latency_histogram c_ba = c;
  c_ba.merge(b);
  c_ba.merge(a);
  EXPECT_EQ(ab_c, all);
  EXPECT_EQ(c_ba, all);
  for (double q : {0.5, 0.95, 0.99}) EXPECT_EQ(ab_c.value_at_quantile(q), all.value_at_quantile(q));
}

// The histogram visits only the blocks of buckets it marked: after records, merges, clears and
// direct bucket additions (the first and last buckets among them), its non-zero buckets and
// quantiles are those of a plain array of every bucket's count.
TEST(LatencyHistogram, SparseVisitsAgreeWithEveryBucketAfterMergesAndClears) {
  using h_t = s::latency_histogram;
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<std::size_t> bucket(0, h_t::bucket_count - 1);
  std::uniform_int_distribution<int> few(0, 6);
  h_t h;
  std::vector<std::uint64_t> model(h_t::bucket_count, 0);
  auto check = [&](int round) {
    std::vector<std::pair<std::uint32_t, std::uint64_t>> expected;
    std::uint64_t total = 0;
    for (std::size_t b = 0; b < model.size(); ++b) {
      total += model[b];
      if (model[b] != 0) expected.emplace_back(static_cast<std::uint32_t>(b), model[b]);
    }
    ASSERT_EQ(h.nonzero_buckets(), expected) << "round " << round;
    ASSERT_EQ(h.count(), total);
    for (const double q : {0.0, 0.3, 0.5, 0.99, 1.0}) {
      if (total == 0) {
        EXPECT_EQ(h.value_at_quantile(q), 0u);
        continue;
      }
      const auto rank =
          std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(q * total)));
      std::uint64_t seen = 0;
      std::size_t b = 0;
      while ((seen += model[b]) < rank) ++b;
      EXPECT_EQ(h.value_at_quantile(q), (h_t::bucket_low(b) + h_t::bucket_high(b) + 1) / 2)
          << "round " << round << " q " << q;
    }
  };
  for (int round = 0; round < 200; ++round) {
    switch (round % 5) {
      case 0:  // a clear: nothing of before may show again
        h.clear();
        std::fill(model.begin(), model.end(), 0);
        break;
      case 1: {  // a merge of another sparse histogram
        h_t other;
        for (int i = few(rng); i > 0; --i) {
          const std::size_t b = bucket(rng);
          ASSERT_TRUE(other.add_to_bucket(static_cast<std::uint32_t>(b), 3));
          model[b] += 3;
        }
        h.merge(other);
        break;
      }
      default:
        for (int i = few(rng); i > 0; --i) {
          const std::size_t b = bucket(rng);
          h.record(h_t::bucket_low(b));
          ++model[b];
        }
    }
    if (round == 7) {  // the edges: the first and the last bucket
      ASSERT_TRUE(h.add_to_bucket(0, 2));
      ASSERT_TRUE(h.add_to_bucket(h_t::bucket_count - 1, 5));
      model[0] += 2;
      model[h_t::bucket_count - 1] += 5;
    }
    check(round);
  }
}

// A histogram moved from keeps no counts but may keep its marks: clearing and reusing it is safe.
TEST(LatencyHistogram, AMovedFromHistogramCanBeClearedAndUsedAgain) {
  s::latency_histogram a;
  a.record(100'000);
  s::latency_histogram b = std::move(a);
  a.clear();  // NOLINT(bugprone-use-after-move): what this test is about
  EXPECT_TRUE(a.empty());
  EXPECT_TRUE(a.nonzero_buckets().empty());
  a.record(5);
  EXPECT_EQ(a.value_at_quantile(1.0), 5u);
  EXPECT_EQ(b.count(), 1u);
}

TEST(StatsTable, MergingShardsEqualsOneShardFedEverything) {
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<std::uint64_t> latency(1, 2'000'000);
  const std::vector<std::string> names{"/", "/items", "/cart", "/login"};
  s::stats_table whole;
  std::vector<s::stats_table> shards(5);
  for (int i = 0; i < 50000; ++i) {
    const auto& name = names[rng() % names.size()];
    const auto us = latency(rng);
    const bool failed = rng() % 10 == 0;
    whole.entry("GET", name).record(us, 100, failed);
    shards[rng() % shards.size()].entry("GET", name).record(us, 100, failed);
    if (failed) {
      whole.record_error("GET", name, "HTTP 500");
      shards[i % shards.size()].record_error("GET", name, "HTTP 500");
    }
  }
  s::stats_table merged;
  for (const auto& shard : shards) merged.merge(shard);
  ASSERT_EQ(merged.entries().size(), whole.entries().size());
  for (const auto& [key, e] : whole.entries()) {
    const auto& m = merged.entries().at(key);
    EXPECT_EQ(m.requests, e.requests);
    EXPECT_EQ(m.failures, e.failures);
    EXPECT_EQ(m.total_us, e.total_us);
    EXPECT_EQ(m.min_us, e.min_us);
    EXPECT_EQ(m.max_us, e.max_us);
    EXPECT_EQ(m.histogram, e.histogram);
  }
  EXPECT_EQ(merged.errors(), whole.errors());
  EXPECT_EQ(merged.total().requests, 50000u);
}

TEST(StatsTable, TakeDeltaReturnsWhatIsNewAndKeepsEntriesInPlace) {
  s::stats_table t;
  auto& e = t.entry("GET", "/");
  e.record(1000, 10, false);
  auto d1 = t.take_delta();
  EXPECT_EQ(d1.total().requests, 1u);
  EXPECT_EQ(&t.entry("GET", "/"), &e) << "callers may keep the reference";
  e.record(2000, 10, true);
  t.record_error("GET", "/", "boom");
  auto d2 = t.take_delta();
  EXPECT_EQ(d2.total().requests, 1u);
  EXPECT_EQ(d2.total().failures, 1u);
  EXPECT_EQ(d2.errors().size(), 1u);
  EXPECT_TRUE(t.take_delta().empty());
}

TEST(StatsTable, SaysWhetherTheOpenModelShapedItsNumbers) {
  s::stats_table closed;
  closed.entry("GET", "/").record(1000, 10, false);
  EXPECT_FALSE(closed.scheduled()) << "the closed model: no schedule, nothing dropped";
  EXPECT_EQ(closed.dropped(), 0u);

  s::stats_table ran;
  ran.entry("GET", "/").record(1000, 10, false);
  ran.entry("GET", "/open").record_scheduled(9000, 1200, 3, false);
  EXPECT_TRUE(ran.scheduled()) << "an iteration ran on a schedule";

  s::stats_table all_dropped;
  all_dropped.entry("GET", "/a").dropped = 4;
  all_dropped.entry("GET", "/b").dropped = 3;
  EXPECT_TRUE(all_dropped.scheduled()) << "every iteration dropped is still the open model";
  EXPECT_EQ(all_dropped.dropped(), 7u) << "over every row";

  s::stats_table lag_only;
  lag_only.lag().record(250, 0, false);
  EXPECT_TRUE(lag_only.scheduled());
}

TEST(StatsCodec, RoundTripKeepsEverything) {
  s::stats_table t;
  for (int i = 1; i <= 1000; ++i) t.entry("POST", "/login").record(i * 37, 5, i % 7 == 0);
  t.entry("GET", "/").record(5, 0, false);
  t.entry("GET", "/open").record_scheduled(90000, 1200, 3, false);
  t.entry("GET", "/open").dropped = 4;
  t.lag().record(250, 0, false);
  t.record_error("POST", "/login", "HTTP 401: unauthorized");
  std::string error;
  auto back = s::decode_stats(s::encode_stats(t), error);
  ASSERT_TRUE(back) << error;
  for (const auto& [key, e] : t.entries()) {
    const auto& b = back->entries().at(key);
    EXPECT_EQ(b.requests, e.requests);
    EXPECT_EQ(b.failures, e.failures);
    EXPECT_EQ(b.min_us, e.min_us);
    EXPECT_EQ(b.max_us, e.max_us);
    EXPECT_EQ(b.histogram, e.histogram);
    EXPECT_EQ(b.service, e.service);
    EXPECT_EQ(b.dropped, e.dropped);
  }
  EXPECT_EQ(back->errors(), t.errors());
  EXPECT_EQ(back->lag().histogram, t.lag().histogram);
}

TEST(StatsCodec, HttpVersionCountsTravelMergeAndReset) {
  s::stats_table t;
  t.entry("GET", "/").record(5, 0, false);
  t.versions().http1_1 = 3;
  t.versions().http2 = 7;
  std::string error;
  auto back = s::decode_stats(s::encode_stats(t), error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->versions().http1_1, 3u);
  EXPECT_EQ(back->versions().http2, 7u);
  s::stats_table sum;
  sum.merge(*back);
  sum.merge(*back);
  EXPECT_EQ(sum.versions().http2, 14u);
  const auto delta = t.take_delta();
  EXPECT_EQ(delta.versions().http2, 7u);
  EXPECT_TRUE(t.versions().empty()) << "a delta takes the counts with it";
}

TEST(StatsCodec, AReportWithoutVersionCountsIsStillRead) {
  // [entries, errors, lag]: what a worker sent before HTTP/2 counts existed.
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> p(buf);
  p.pack_array(3);
  p.pack_array(0);
  p.pack_array(0);
  s::stats_table empty;
  std::string full = s::encode_stats(empty);
  auto handle = msgpack::unpack(full.data(), full.size());
  p.pack(handle.get().via.array.ptr[2]);  // the lag of an empty table
  std::string error;
  auto back = s::decode_stats(std::string(buf.data(), buf.size()), error);
  ASSERT_TRUE(back) << error;
  EXPECT_TRUE(back->versions().empty());
}

TEST(StatsCodec, MalformedInputIsRejectedWithAReason) {
  std::string error;
  EXPECT_FALSE(s::decode_stats("\xc1garbage", error));
  EXPECT_FALSE(error.empty());
  s::stats_table t;
  t.entry("GET", "/").record(10, 0, false);
  std::string bytes = s::encode_stats(t);
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    error.clear();
    EXPECT_FALSE(s::decode_stats(bytes.substr(0, cut), error)) << "truncated at " << cut;
  }
  // A histogram bucket that does not exist.
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> p(buf);
  auto values = [&p](bool bad_bucket) {  // requests..service histogram: 10 values
    p.pack(5u);
    p.pack(0u);
    p.pack(50u);
    p.pack(10u);
    p.pack(10u);
    p.pack(0u);
    p.pack_array(2);
    p.pack(bad_bucket ? 99999999u : 10u);
    p.pack(5u);
    p.pack(0u);
    p.pack(0u);
    p.pack_array(0);
  };
  p.pack_array(3);
  p.pack_array(1);
  p.pack_array(12);
  p.pack(std::string("GET"));
  p.pack(std::string("/"));
  values(true);
  p.pack_array(0);
  p.pack_array(10);
  values(false);
  EXPECT_FALSE(s::decode_stats(std::string(buf.data(), buf.size()), error));
  EXPECT_NE(error.find("bucket"), std::string::npos) << error;
}

}  // namespace
