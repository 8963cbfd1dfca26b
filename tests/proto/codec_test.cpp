#include "proto/codec.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <msgpack.hpp>
#include <random>

#include "proto/setup_data_limit.hpp"
#include "proto/stats_frame.hpp"

namespace p = swarmlet::proto;

namespace {

std::string reason_of(const std::string& frame);

template <class T>
T round_trip(p::message_type type, T body) {
  const std::string bytes = p::encode(p::make_message(type, "worker-1", body));
  auto decoded = p::decode(bytes.data(), bytes.size());
  auto* m = std::get_if<p::message>(&decoded);
  EXPECT_NE(m, nullptr) << std::get<p::decode_error>(decoded).reason;
  if (m == nullptr) return T();
  EXPECT_EQ(m->type, type);
  EXPECT_EQ(m->sender, "worker-1");
  return std::get<T>(m->body);
}

TEST(Codec, EveryMessageRoundTrips) {
  auto h = round_trip(p::message_type::hello, p::hello_payload{"host-a", 1234, 8});
  EXPECT_EQ(h.host, "host-a");
  EXPECT_EQ(h.threads, 8);
  p::welcome_payload w;
  w.scenario_name = "s.yaml";
  w.scenario_yaml = "target: http://x/\n";
  w.target = "http://y/";
  w.files["users.csv"] = "a,b\n1,2\n";
  w.stats_port = 40123;
  w.environment["API_KEY"] = "k-1";
  w.tags = {"checkout", "browse"};
  w.exclude_tags = {"slow"};
  auto w2 = round_trip(p::message_type::welcome, w);
  EXPECT_EQ(w2.environment, w.environment);
  EXPECT_EQ(w2.tags, w.tags);
  EXPECT_EQ(w2.exclude_tags, w.exclude_tags);
  EXPECT_EQ(w2.stats_port, 40123);
  EXPECT_EQ(w2.scenario_yaml, w.scenario_yaml);
  EXPECT_EQ(w2.files, w.files);
  EXPECT_EQ(w2.target, "http://y/");
  p::spawn_command s;
  s.run_id = 99;
  s.command_id = 17;
  s.users_per_class = {{"a", 3}, {"b", 0}};
  s.spawn_rate = 2.5;
  s.spawn_delay_s = 0.4;
  s.stats_resets = 2;
  auto s2 = round_trip(p::message_type::spawn, s);
  EXPECT_EQ(s2.stats_resets, 2u);
  EXPECT_EQ(s2.command_id, 17u);
  EXPECT_EQ(s2.users_per_class, s.users_per_class);
  EXPECT_EQ(s2.spawn_rate, 2.5);
  EXPECT_EQ(s2.spawn_delay_s, 0.4);
  EXPECT_FALSE(s2.arrival) << "the closed model carries no arrival plan";
  EXPECT_EQ(round_trip(p::message_type::stop, p::stop_payload{7}).run_id, 7u);
  const auto reset = round_trip(p::message_type::reset_stats, p::reset_payload{7, 3});
  EXPECT_EQ(reset.run_id, 7u);
  EXPECT_EQ(reset.resets, 3u);
  EXPECT_EQ(round_trip(p::message_type::heartbeat, p::heartbeat_payload{42}).users, 42);
  EXPECT_DOUBLE_EQ(
      round_trip(p::message_type::heartbeat, p::heartbeat_payload{1, 187.5}).cpu_percent, 187.5);
  round_trip(p::message_type::quit, p::empty_payload{});
  EXPECT_EQ(round_trip(p::message_type::spawn_complete, p::spawn_complete_payload{3, 40}).users,
            40);
  EXPECT_EQ(round_trip(p::message_type::error, p::error_payload{"scenario does not load"}).text,
            "scenario does not load");
  p::stats_report r;
  r.run_id = 5;
  r.sequence = 9;
  r.final = true;
  r.command_id = 4;
  r.users = 3;
  r.peak_users = 8;
  r.requests_sent = 77;
  r.delta.entry("GET", "/").record(1500, 10, true);
  r.delta.record_error("GET", "/", "HTTP 500");
  r.exceptions.record("a.lua:3: boom", "stack traceback:\n\ta.lua:3: in function <a.lua:2>", 6);
  auto r2 = round_trip(p::message_type::stats, r);
  EXPECT_EQ(r2.worker_id, "worker-1") << "the sender names the worker";
  EXPECT_EQ(r2.sequence, 9u);
  EXPECT_TRUE(r2.final);
  EXPECT_EQ(r2.command_id, 4u);
  EXPECT_EQ(r2.users, 3);
  EXPECT_EQ(r2.peak_users, 8) << "the most users since the previous report";
  EXPECT_EQ(r2.requests_sent, 77u);
  EXPECT_EQ(r2.delta.total().failures, 1u);
  EXPECT_EQ(r2.delta.errors().size(), 1u);
  EXPECT_EQ(r2.exceptions.entries(), r.exceptions.entries());
}

TEST(Codec, SpawnCommandsCarryUserIdsWorkerIndexAndRowLeasesAndReportsTheLiveIds) {
  p::spawn_command s;
  s.run_id = 3;
  s.users_per_class = {{"a", 5}, {"b", 1}};
  s.user_ids["a"] = p::id_ranges::span(1, 3);
  s.user_ids["a"].insert(7, 8);
  s.user_ids["b"] = p::id_ranges::span(1'000'000'000'000, 1'000'000'000'000);
  s.worker_index = 2;
  s.worker_count = 3;
  s.arrival_ids = p::id_ranges::span(41, 80);
  s.data_rows["a"] = p::row_lease{p::id_ranges::span(0, 99), true};
  const auto s2 = round_trip(p::message_type::spawn, s);
  EXPECT_EQ(s2.user_ids, s.user_ids);
  EXPECT_EQ(s2.worker_index, 2);
  EXPECT_EQ(s2.worker_count, 3);
  EXPECT_EQ(s2.arrival_ids, s.arrival_ids);
  EXPECT_EQ(s2.data_rows, s.data_rows);

  p::stats_report r;
  r.run_id = 3;
  r.sequence = 1;
  r.live_user_ids = p::id_ranges::span(4, 9);
  r.data_rows_used = {{"a", 17}};
  r.stats_resets = 4;
  const auto r2 = round_trip(p::message_type::stats, r);
  EXPECT_EQ(r2.stats_resets, 4u);
  EXPECT_EQ(r2.live_user_ids, r.live_user_ids);
  EXPECT_EQ(r2.data_rows_used, r.data_rows_used);

  s.user_ids["b"].insert(5);  // two ids for one user
  const std::string bad = p::encode(p::make_message(p::message_type::spawn, "master", s));
  EXPECT_EQ(reason_of(bad), "spawn.user_ids of 'b' differ from its user count");
  s.user_ids.erase("b");
  s.worker_index = -1;
  const std::string outside = p::encode(p::make_message(p::message_type::spawn, "master", s));
  EXPECT_EQ(reason_of(outside), "spawn.worker_index is out of range");
  s.worker_index = 0;
  for (const double delay : {-1.0, 2e6, std::numeric_limits<double>::quiet_NaN()}) {
    s.spawn_delay_s = delay;
    EXPECT_EQ(reason_of(p::encode(p::make_message(p::message_type::spawn, "master", s))),
              "spawn.spawn_delay_s is out of range")
        << delay;
  }
}

TEST(Codec, AnOpenModelSpawnCarriesItsArrivalPlanWhole) {
  p::spawn_command s;
  s.run_id = 12;
  s.arrival = swarmlet::config::arrival_plan{37.5, 250,   std::chrono::microseconds(4'000'250),
                                             40,   0.375, std::chrono::seconds(9)};
  s.arrival_first_thread = 3;
  s.arrival_threads = 7;
  s.arrival_plan_id = 5;
  auto s2 = round_trip(p::message_type::spawn, s);
  ASSERT_TRUE(s2.arrival);
  EXPECT_EQ(*s2.arrival, *s.arrival);
  EXPECT_EQ(s2.arrival_first_thread, 3);
  EXPECT_EQ(s2.arrival_threads, 7);
  EXPECT_EQ(s2.arrival_plan_id, 5u);
  s.arrival->until.reset();  // no end: until another plan or the stop
  s2 = round_trip(p::message_type::spawn, s);
  EXPECT_EQ(*s2.arrival, *s.arrival);
  EXPECT_TRUE(s2.users_per_class.empty());
}

/// A spawn frame packed by hand, with `arrival` as its arrival plan and `setup` as its
/// setup_data bytes.
template <class Arrival>
std::string spawn_frame(const Arrival& arrival, const std::string& setup = {}) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pk(buffer);
  pk.pack_array(4);
  pk.pack(static_cast<std::uint8_t>(p::message_type::spawn));
  pk.pack(p::protocol_version);
  pk.pack(std::string("master"));
  pk.pack_array(13);
  pk.pack(std::uint64_t{1});
  pk.pack(std::uint64_t{1});
  pk.pack_map(0);
  pk.pack(1.0);
  pk.pack(arrival);
  pk.pack_map(0);    // user ids
  pk.pack_array(0);  // arrival ids
  pk.pack(0);        // worker index
  pk.pack(1);        // worker count
  pk.pack_map(0);    // data rows
  pk.pack_bin(static_cast<std::uint32_t>(setup.size()));
  pk.pack_bin_body(setup.data(), static_cast<std::uint32_t>(setup.size()));
  pk.pack(0.0);  // spawn delay
  pk.pack(0);    // stats resets
  return std::string(buffer.data(), buffer.size());
}

/// Why the frame does not decode ("" when it does).
std::string reason_of(const std::string& frame) {
  const auto d = p::decode(frame.data(), frame.size());
  const auto* e = std::get_if<p::decode_error>(&d);
  return e == nullptr ? std::string() : e->reason;
}

TEST(Codec, SpawnCommandsCarrySetupDataAsOneBoundedMsgpackValue) {
  p::spawn_command s;
  s.run_id = 3;
  msgpack::sbuffer value;
  msgpack::packer<msgpack::sbuffer> pk(value);
  pk.pack_map(1);
  pk.pack(std::string("token"));
  pk.pack(std::string("abc"));
  s.setup_data.assign(value.data(), value.size());
  EXPECT_EQ(round_trip(p::message_type::spawn, s).setup_data, s.setup_data);
  s.setup_data.clear();
  EXPECT_EQ(round_trip(p::message_type::spawn, s).setup_data, "");

  const auto nil = msgpack::type::nil_t();
  EXPECT_EQ(reason_of(spawn_frame(nil, std::string(value.data(), value.size()))), "");
  EXPECT_EQ(reason_of(spawn_frame(nil, std::string(1, '\x92'))).rfind("spawn.setup_data is not", 0),
            0u)
      << "an array of two with nothing in it";
  EXPECT_EQ(reason_of(spawn_frame(nil, std::string(value.data(), value.size()) + "\x01")),
            "spawn.setup_data is not a value the workers take: more than one msgpack value");
  // Nested lists 100 deep: a worker would recurse that deep turning them into Lua tables.
  EXPECT_EQ(reason_of(spawn_frame(nil, std::string(100, '\x91') + "\x01")),
            "spawn.setup_data is not a value the workers take: tables nested more than 64 deep");
  EXPECT_EQ(reason_of(spawn_frame(nil, std::string(40, '\x91') + "\x01")), "");
}

/// msgpack of one string of `n` bytes.
std::string msgpack_string(std::size_t n) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pk(buffer);
  pk.pack_str(static_cast<std::uint32_t>(n));
  const std::string body(n, 'x');
  pk.pack_str_body(body.data(), static_cast<std::uint32_t>(n));
  return std::string(buffer.data(), buffer.size());
}

TEST(Codec, SetupDataPastItsLimitIsNamedBeforeItIsSentAndAWorkerCanSayWhatItRefused) {
  // QA: setup() returned a 20 MB string; the master sent it, every worker dropped the spawn
  // command carrying it ("not msgpack: bin size overflow"), and no user ran.
  const std::string at_limit = msgpack_string(p::max_setup_data_bytes - 5);  // 5: str 32 header
  ASSERT_EQ(at_limit.size(), p::max_setup_data_bytes);
  EXPECT_EQ(p::setup_data_problem(at_limit), std::nullopt);
  p::spawn_command s;
  s.run_id = 1;
  s.setup_data = at_limit;
  EXPECT_EQ(round_trip(p::message_type::spawn, s).setup_data.size(), p::max_setup_data_bytes)
      << "what the master lets through, a worker takes";

  const std::string over = msgpack_string(p::max_setup_data_bytes - 4);
  EXPECT_EQ(p::setup_data_problem(over),
            std::to_string(p::max_setup_data_bytes + 1) +
                " bytes as msgpack, over the limit of 16777216 (16 MiB)");
  s.setup_data = over;
  const std::string frame = p::encode(p::make_message(p::message_type::spawn, "master", s));
  const auto d = p::decode(frame.data(), frame.size());
  ASSERT_TRUE(std::holds_alternative<p::decode_error>(d));
  EXPECT_EQ(std::get<p::decode_error>(d).type, p::message_type::spawn)
      << "the refused message's type is read from its header: "
      << std::get<p::decode_error>(d).reason;

  msgpack::sbuffer long_list;
  msgpack::packer<msgpack::sbuffer> pk(long_list);
  pk.pack_array(1'000'001);
  for (int i = 0; i < 1'000'001; ++i) pk.pack(1);
  EXPECT_EQ(p::setup_data_problem(std::string(long_list.data(), long_list.size())),
            "a list of more than 1000000 items");

  const auto refusal = round_trip(
      p::message_type::error,
      p::error_payload{"refused the master's spawn message: too big", p::message_type::spawn});
  EXPECT_EQ(refusal.refused, p::message_type::spawn);
  EXPECT_EQ(round_trip(p::message_type::error, p::error_payload{"no scenario"}).refused,
            std::nullopt);
}

TEST(Codec, ABadArrivalPlanIsADecodeErrorWithAReason) {
  // rate, rate_to, ramp_us, max_users, phase, until_us, first_thread, threads, plan_id
  using plan =
      std::tuple<double, double, std::int64_t, int, double, std::int64_t, int, int, std::uint64_t>;
  EXPECT_EQ(reason_of(spawn_frame(plan{100, 200, 5'000'000, 10, 0.5, 5'000'000, 0, 1, 1})), "");
  EXPECT_EQ(reason_of(spawn_frame(msgpack::type::nil_t())), "") << "nil: the closed model";
  EXPECT_EQ(reason_of(spawn_frame(plan{0, 200, 0, 10, 0, 5'000'000, 0, 1, 1})), "")
      << "a stage at rate 0 (without a ramp, rate_to is not a rate): a pause";
  EXPECT_EQ(reason_of(spawn_frame(plan{-1, 200, 0, 10, 0, 5'000'000, 0, 1, 1})),
            "spawn.arrival.rate is out of range");
  EXPECT_EQ(reason_of(spawn_frame(plan{std::nan(""), 200, 0, 10, 0, 5'000'000, 0, 1, 1})),
            "spawn.arrival.rate is out of range");
  EXPECT_EQ(reason_of(spawn_frame(plan{100, 2e9, 0, 10, 0, 5'000'000, 0, 1, 1})),
            "spawn.arrival.rate_to is out of range");
  EXPECT_EQ(reason_of(spawn_frame(plan{100, 200, -5, 10, 0, 5'000'000, 0, 1, 1})),
            "spawn.arrival.ramp_us is out of range");
  EXPECT_EQ(reason_of(spawn_frame(plan{100, 200, 0, 0, 0, 5'000'000, 0, 1, 1})),
            "spawn.arrival.max_users is out of range");
  // A phase outside [0, 1) would put a share's arrivals among another share's, or before its
  // start.
  EXPECT_EQ(reason_of(spawn_frame(plan{100, 200, 0, 10, 1, 5'000'000, 0, 1, 1})),
            "spawn.arrival.phase is out of range");
  EXPECT_EQ(reason_of(spawn_frame(plan{100, 200, 0, 10, -0.25, 5'000'000, 0, 1, 1})),
            "spawn.arrival.phase is out of range");
  EXPECT_EQ(reason_of(spawn_frame(plan{100, 200, 0, 10, std::nan(""), 5'000'000, 0, 1, 1})),
            "spawn.arrival.phase is out of range");
  EXPECT_EQ(reason_of(spawn_frame(plan{100, 200, 0, 10, 0, -1, 0, 1, 1})),
            "spawn.arrival.until_us is out of range");
  EXPECT_EQ(reason_of(spawn_frame(plan{100, 200, 0, 10, 0, 0, 0, 0, 1})),
            "spawn.arrival.threads is out of range");
  EXPECT_EQ(reason_of(spawn_frame(plan{100, 200, 0, 10, 0, 0, 4, 4, 1})),
            "spawn.arrival.first_thread is out of range")
      << "threads 0 to 3 of 4";
  EXPECT_EQ(reason_of(spawn_frame(
                std::make_tuple(100.0, 200.0, 0, 10, 0.0, msgpack::type::nil_t(), 0, 2, 1))),
            "")
      << "nil: no end";
  EXPECT_EQ(reason_of(spawn_frame(std::make_tuple(100.0, 200.0, 0, 10))),
            "spawn.arrival must be an array of 9")
      << "a protocol 9 plan";
  EXPECT_EQ(
      reason_of(spawn_frame(std::make_tuple(std::string("fast"), 200.0, 0, 10, 0.0, 0, 0, 1, 1)))
          .rfind("spawn.arrival.rate ", 0),
      0u)
      << "a rate that is not a number";
  EXPECT_EQ(reason_of(spawn_frame(100.0)), "spawn.arrival must be an array of 9");
}

TEST(Codec, ASpawnCompleteClaimingNegativeOrTooManyUsersIsADecodeError) {
  // The master sums these over its workers: a negative count would take others' users away.
  const auto claiming = [](int users) {
    return reason_of(p::encode(p::make_message(p::message_type::spawn_complete, "w",
                                               p::spawn_complete_payload{3, users})));
  };
  EXPECT_EQ(claiming(-1), "spawn_complete.users is out of range");
  EXPECT_EQ(claiming(100'000'001), "spawn_complete.users is out of range");
  EXPECT_EQ(claiming(100'000'000), "");
}

TEST(Codec, GarbageTruncationAndBitFlipsAreErrorsNotCrashes) {
  p::stats_report r;
  r.run_id = 1;
  r.sequence = 1;
  for (int i = 0; i < 100; ++i)
    r.delta.entry("GET", "/" + std::to_string(i % 7)).record(i * 100, 1, i % 5 == 0);
  r.exceptions.record("a.lua:1: boom", "stack traceback:\n\ta.lua:1: in main chunk", 3);
  const std::string good = p::encode(p::make_message(p::message_type::stats, "w", r));
  for (std::size_t cut = 0; cut < good.size(); cut += 7) {
    auto d = p::decode(good.data(), cut);
    EXPECT_TRUE(std::holds_alternative<p::decode_error>(d)) << "truncated at " << cut;
  }
  std::mt19937 rng(1);
  int errors = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string bad = good;
    for (int k = 0; k < 3; ++k) bad[rng() % bad.size()] ^= static_cast<char>(1 << (rng() % 8));
    auto d = p::decode(bad.data(), bad.size());  // must not crash or throw
    errors += std::holds_alternative<p::decode_error>(d) ? 1 : 0;
  }
  EXPECT_GT(errors, 0);
  std::string noise(1000, '\0');
  for (auto& c : noise) c = static_cast<char>(rng());
  EXPECT_TRUE(std::holds_alternative<p::decode_error>(p::decode(noise.data(), noise.size())));
  EXPECT_TRUE(std::holds_alternative<p::decode_error>(p::decode("", 0)));
}

TEST(Codec, AnotherVersionIsNamedButARefusalIsAlwaysReadable) {
  auto m = p::make_message(p::message_type::hello, "w", p::hello_payload{"h", 1, 1});
  m.version = p::protocol_version + 1;
  const std::string bytes = p::encode(m);
  auto d = p::decode(bytes.data(), bytes.size());
  ASSERT_TRUE(std::holds_alternative<p::decode_error>(d));
  EXPECT_EQ(std::get<p::decode_error>(d).peer_version, p::protocol_version + 1);
  EXPECT_NE(std::get<p::decode_error>(d).reason.find("protocol version " +
                                                     std::to_string(p::protocol_version + 1)),
            std::string::npos);
  auto refusal = p::make_message(p::message_type::refused, "master", p::refused_payload{"speak 1"});
  refusal.version = 7;
  const std::string rb = p::encode(refusal);
  auto rd = p::decode(rb.data(), rb.size());
  ASSERT_TRUE(std::holds_alternative<p::message>(rd));
  EXPECT_EQ(std::get<p::refused_payload>(std::get<p::message>(rd).body).reason, "speak 1");
}

}  // namespace

namespace stats_frames {

/// A stats message of one row (number 0, "GET /" defined unless `define` is false) with the
/// given histogram, as [distance, count, ...], and `requests` requests; `pack_cpu` writes the
/// worker's CPU (a double unless it packs something else), `pack_hubs` its hub threads' strain
/// (an idle one's unless it packs something else), `pack_warnings` its warnings (none).
std::string frame(
    const std::vector<std::uint64_t>& histogram, std::uint64_t requests, bool define = true,
    const std::function<void(msgpack::packer<msgpack::sbuffer>&)>& pack_cpu =
        [](msgpack::packer<msgpack::sbuffer>& pk) { pk.pack(0.0); },
    const std::function<void(msgpack::packer<msgpack::sbuffer>&)>& pack_hubs =
        [](msgpack::packer<msgpack::sbuffer>& pk) {
          pk.pack_array(4);
          pk.pack(0);
          pk.pack(0.0);
          pk.pack(0);
          pk.pack(0.0);
        },
    const std::function<void(msgpack::packer<msgpack::sbuffer>&)>& pack_warnings =
        [](msgpack::packer<msgpack::sbuffer>& pk) { pk.pack_array(0); }) {
  msgpack::sbuffer b;
  msgpack::packer<msgpack::sbuffer> pk(b);
  pk.pack_array(4);
  pk.pack(static_cast<int>(p::message_type::stats));
  pk.pack(p::protocol_version);
  pk.pack(std::string("w"));
  pk.pack_array(20);
  for (int v : {1, 0, 1}) pk.pack(v);  // run id, incarnation, sequence
  pk.pack(false);
  for (int v : {0, 0, 0, 0}) pk.pack(v);  // command id, stats resets, users, peak users
  pack_cpu(pk);
  pack_hubs(pk);
  pack_warnings(pk);
  pk.pack(requests);
  pk.pack_array(0);
  pk.pack_map(0);
  pk.pack_array(define ? 3 : 0);
  if (define) {
    pk.pack(0);
    pk.pack(std::string("GET"));
    pk.pack(std::string("/"));
  }
  pk.pack_array(1);
  pk.pack_array(11);
  for (std::uint64_t v : {std::uint64_t{0}, requests, std::uint64_t{0}, requests * 10,
                          std::uint64_t{10}, std::uint64_t{10}, std::uint64_t{0}})
    pk.pack(v);
  pk.pack(histogram);
  for (int v : {0, 0}) pk.pack(v);
  pk.pack_array(0);
  pk.pack_array(0);  // errors
  pk.pack_array(10);
  for (int v : {0, 0, 0, 0, 0, 0}) pk.pack(v);
  pk.pack_array(0);
  for (int v : {0, 0}) pk.pack(v);
  pk.pack_array(0);
  pk.pack_array(2);
  for (int v : {0, 0}) pk.pack(v);
  pk.pack_array(0);  // exceptions
  return std::string(b.data(), b.size());
}

std::string read_error(const std::string& bytes) {
  p::stats_frame f;
  auto error = f.read(bytes);
  return error ? *error : "";
}

}  // namespace stats_frames

TEST(StatsFrame, HistogramsAreSparseDistancesThatAddUpToTheirRequests) {
  using stats_frames::frame;
  using stats_frames::read_error;
  p::stats_frame f;
  ASSERT_FALSE(f.read(frame({10, 2, 3, 1}, 3)));
  ASSERT_EQ(f.rows.size(), 1u);
  const auto h = f.histogram(f.rows[0].stats);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0], (std::pair<std::uint32_t, std::uint64_t>{10, 2}));
  EXPECT_EQ(h[1], (std::pair<std::uint32_t, std::uint64_t>{13, 1}));
  EXPECT_EQ(read_error(frame({10, 1, 0, 1}, 2)), "stats row repeats a bucket");
  EXPECT_EQ(read_error(frame({100000, 1}, 1)), "stats row has a bucket out of range");
  EXPECT_EQ(read_error(frame({10, 1}, 2)), "stats row histogram does not match");
  EXPECT_EQ(read_error(frame({10, UINT64_MAX, 1, 2}, 1)), "stats row counts overflow");
  const std::string good = frame({10, 2}, 2);
  for (std::size_t cut = 0; cut < good.size(); ++cut)
    EXPECT_NE(read_error(good.substr(0, cut)), "") << "cut at " << cut;
  EXPECT_EQ(read_error(good + '\0'), "stats message has bytes after its end");
}

TEST(StatsFrame, AReportSaysTheWorkersCpuAsAHeartbeatWouldWithinTheSameRange) {
  using stats_frames::frame;
  using stats_frames::read_error;
  using packer = msgpack::packer<msgpack::sbuffer>;
  p::stats_frame f;
  ASSERT_FALSE(f.read(frame({10, 2}, 2, true, [](packer& pk) { pk.pack(187.25); })));
  EXPECT_EQ(f.cpu_percent, 187.25);
  ASSERT_FALSE(f.read(frame({10, 2}, 2, true, [](packer& pk) { pk.pack(12.5f); })));
  EXPECT_EQ(f.cpu_percent, 12.5) << "a float 32 is a number too";
  ASSERT_FALSE(f.read(frame({10, 2}, 2, true, [](packer& pk) { pk.pack(300); })));
  EXPECT_EQ(f.cpu_percent, 300.0) << "and so is a whole number";
  // msgpack-c writes a whole double as an integer, -1.0 as a negative one.
  for (const double bad : {-1.0, -0.5, -70000.0, std::nan(""), p::max_cpu_percent * 2})
    EXPECT_EQ(read_error(frame({10, 2}, 2, true, [bad](packer& pk) { pk.pack(bad); })),
              "stats.cpu_percent is out of range")
        << bad;
  EXPECT_EQ(read_error(frame({10, 2}, 2, true, [](packer& pk) { pk.pack("hot"); })),
            "stats.cpu_percent is not a number");

  p::stats_report r;
  r.worker_id = "w";
  r.run_id = 3;
  r.cpu_percent = 93.5;
  r.delta.entry("GET", "/").record(1000, 10, false);
  p::report_names names;
  ASSERT_FALSE(f.read(p::encode_stats("w", r, names)));
  EXPECT_EQ(f.cpu_percent, 93.5);
}

TEST(StatsFrame, AReportSaysHowBusyTheWorkersHubThreadsWereWithinRange) {
  using stats_frames::frame;
  using stats_frames::read_error;
  using packer = msgpack::packer<msgpack::sbuffer>;
  p::stats_report r;
  r.worker_id = "w";
  r.run_id = 3;
  r.hubs = {2, 97.5, 1, 503.25};
  r.delta.entry("GET", "/").record(1000, 10, false);
  p::report_names names;
  p::stats_frame f;
  ASSERT_FALSE(f.read(p::encode_stats("w", r, names)));
  EXPECT_EQ(f.hubs, r.hubs);
  std::string error;
  EXPECT_EQ(f.self_contained(error)->hubs, r.hubs) << error;

  const auto hubs = [](auto busiest, auto cpu, auto blocked, auto ms) {
    return [=](packer& pk) {
      pk.pack_array(4);
      pk.pack(busiest);
      pk.pack(cpu);
      pk.pack(blocked);
      pk.pack(ms);
    };
  };
  const auto cpu0 = [](packer& pk) { pk.pack(0.0); };
  EXPECT_EQ(read_error(frame({10, 2}, 2, true, cpu0, hubs(4095, 100.0, 4095, 86'400'000.0))), "")
      << "the last thread, a whole core, a day";
  EXPECT_EQ(read_error(frame({10, 2}, 2, true, cpu0, hubs(4096, 1.0, 0, 1.0))),
            "stats.hubs.busiest_thread is out of range");
  EXPECT_EQ(read_error(frame({10, 2}, 2, true, cpu0, hubs(0, 1.0, -1, 1.0))),
            "stats.hubs.blocked_thread is not a non-negative integer");
  for (const double bad : {-0.5, 100.5, std::nan("")})
    EXPECT_EQ(read_error(frame({10, 2}, 2, true, cpu0, hubs(0, bad, 0, 1.0))),
              "stats.hubs.busiest_cpu_percent is out of range")
        << bad;
  for (const double bad :
       {-0.5, 86'400'001.0, std::nan(""), std::numeric_limits<double>::infinity()})
    EXPECT_EQ(read_error(frame({10, 2}, 2, true, cpu0, hubs(0, 1.0, 0, bad))),
              "stats.hubs.blocked_ms is out of range")
        << bad;
  EXPECT_EQ(read_error(frame({10, 2}, 2, true, cpu0, [](packer& pk) { pk.pack_array(3); })),
            "stats.hubs must be an array of 4");
}

TEST(StatsFrame, AReportCarriesTheWorkersWarningsWithinBounds) {
  using stats_frames::frame;
  using stats_frames::read_error;
  using packer = msgpack::packer<msgpack::sbuffer>;
  p::stats_report r;
  r.worker_id = "w";
  r.run_id = 3;
  r.warnings = {"9 users take more than 2 ports", "another"};
  r.delta.entry("GET", "/").record(1000, 10, false);
  p::report_names names;
  p::stats_frame f;
  ASSERT_FALSE(f.read(p::encode_stats("w", r, names)));
  EXPECT_EQ(std::vector<std::string>(f.warnings.begin(), f.warnings.end()), r.warnings);
  std::string error;
  EXPECT_EQ(f.self_contained(error)->warnings, r.warnings) << error;
  const p::stats_report without;
  ASSERT_FALSE(f.read(p::encode_stats("w", without, names)));
  EXPECT_TRUE(f.warnings.empty()) << "a frame read again holds none of the last one's";

  // What a report may carry, and no more.
  const auto cpu0 = [](packer& pk) { pk.pack(0.0); };
  const auto idle = [](packer& pk) {
    pk.pack_array(4);
    for (int v : {0, 0, 0, 0}) pk.pack(v);
  };
  const auto warnings = [](std::size_t n, std::size_t bytes) {
    return [=](packer& pk) {
      pk.pack_array(static_cast<std::uint32_t>(n));
      for (std::size_t i = 0; i < n; ++i) pk.pack(std::string(bytes, 'w'));
    };
  };
  const auto most = p::stats_report::max_warnings, longest = p::stats_report::max_warning_bytes;
  EXPECT_EQ(read_error(frame({10, 2}, 2, true, cpu0, idle, warnings(most, longest))), "");
  EXPECT_EQ(read_error(frame({10, 2}, 2, true, cpu0, idle, warnings(most + 1, 1))),
            "stats.warnings: more than " + std::to_string(most));
  EXPECT_EQ(read_error(frame({10, 2}, 2, true, cpu0, idle, warnings(1, longest + 1))),
            "stats.warnings is too long");
  EXPECT_EQ(read_error(frame({10, 2}, 2, true, cpu0, idle,
                             [](packer& pk) {
                               pk.pack_array(1);
                               pk.pack(7);
                             })),
            "stats.warnings is not a string");

  // A worker of this build sends what a report may carry: the first warnings, each cut short.
  r.warnings.assign(most + 2, std::string(longest + 10, 'x'));
  ASSERT_FALSE(f.read(p::encode_stats("w", r, names)));
  ASSERT_EQ(f.warnings.size(), most);
  EXPECT_EQ(f.warnings[0].size(), longest);
  r.warnings = {std::string(longest - 1, 'x') + "\xc3\xa9"};  // an e-acute across the cut
  ASSERT_FALSE(f.read(p::encode_stats("w", r, names)));
  EXPECT_EQ(f.warnings.at(0), std::string(longest - 1, 'x')) << "cut before the character";
}

TEST(StatsFrame, OutsideTheMastersNameTableAReportMustDefineEveryNameItUses) {
  const std::string undefined = stats_frames::frame({10, 2}, 2, false);
  EXPECT_EQ(stats_frames::read_error(undefined), "") << "the master resolves it with its table";
  const auto d = p::decode(undefined.data(), undefined.size());
  ASSERT_TRUE(std::holds_alternative<p::decode_error>(d));
  EXPECT_EQ(std::get<p::decode_error>(d).reason, "stats row uses name 0, which the report lacks");
}

TEST(StatsFrame, MasterHeartbeatsSayTheNamesKnownInTheirRun) {
  const auto beat = round_trip(p::message_type::heartbeat, p::heartbeat_payload{0, 0, 77, 12});
  EXPECT_EQ(beat.run_id, 77u);
  EXPECT_EQ(beat.names_known, 12u);
  p::report_names names;
  names.use_run(77);
  names.number({"GET", "/a"});
  names.acknowledged(77, 12);
  EXPECT_EQ(names.known_below(), 1u) << "never more than it numbered";
  names.acknowledged(78, 0);
  names.acknowledged(77, 0);
  EXPECT_EQ(names.known_below(), 1u) << "another run's word, or an older one, changes nothing";
  names.use_run(78);
  EXPECT_EQ(names.size(), 0u);
  EXPECT_EQ(names.known_below(), 0u);
}

TEST(StatsFrame, AReportFoldedAsAWorkerFoldsItIsReadWholeAndOneBeyondKeepsItsHeader) {
  // The master's limits are what a worker folds its reports to (QA: a worker's report of 2,001
  // names made from ids was refused whole, and nothing said whose report it was).
  p::stats_report r;
  r.worker_id = "w";
  r.run_id = 3;
  r.sequence = 7;
  r.users = 8;
  r.requests_sent = 2500;
  for (int i = 0; i < 2500; ++i) {
    const std::string name = "/?id=" + std::to_string(i);
    r.delta.entry("GET", name).record(1000, 10, true);
    r.delta.record_error("GET", name, "order " + std::to_string(i) + " rejected");
  }
  p::stats_frame f;
  p::stats_report over = r;
  p::report_names names;
  const auto refused = f.read(p::encode_stats("w", over, names));
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(*refused, "stats: more than 2000 request names in one report");
  ASSERT_TRUE(f.header_read()) << "whose report it was is known";
  EXPECT_EQ(f.sender, "w");
  EXPECT_EQ(f.sequence, 7u);
  EXPECT_EQ(f.requests_sent, 2500u);
  EXPECT_EQ(f.users, 8);
  EXPECT_TRUE(f.rows.empty() && f.names.empty() && f.errors.empty()) << "its body counts nothing";
  EXPECT_EQ(f.requests(), 0u);

  r.delta.fold_past(p::stats_frame::max_rows, p::stats_frame::max_errors);
  p::report_names fresh;
  const auto read = f.read(p::encode_stats("w", r, fresh));
  ASSERT_FALSE(read.has_value()) << *read;
  EXPECT_EQ(f.requests(), 2500u);
  std::uint64_t errors = 0;
  for (const auto& e : f.errors) errors += e.count;
  EXPECT_EQ(errors, 2500u);

  EXPECT_TRUE(f.read("\x94\x01").has_value());
  EXPECT_FALSE(f.header_read()) << "a frame cut short says nothing of whose it is";
}
