#include "codec.hpp"

#include <algorithm>
#include <chrono>
#include <msgpack.hpp>

#include "common/config/scenario.hpp"
#include "common/stats/stats_codec.hpp"
#include "setup_data_limit.hpp"
#include "stats_frame.hpp"
#include "welcome_limit.hpp"

namespace swarmlet::proto {
namespace {

constexpr std::size_t max_string = max_welcome_file_bytes;  // a scenario or a data file
constexpr std::size_t max_id = 256;
// A user class name is a key of spawn commands: the loader refuses one the wire would not take.
static_assert(config::max_user_name_bytes <= max_id);

using packer = msgpack::packer<msgpack::sbuffer>;

struct bad_frame {
  std::string reason;
};

const msgpack::object& field(const msgpack::object& arr, std::uint32_t i, const char* what) {
  if (arr.type != msgpack::type::ARRAY || arr.via.array.size <= i)
    throw bad_frame{std::string(what) + ": missing field " + std::to_string(i)};
  return arr.via.array.ptr[i];
}
std::string str(const msgpack::object& o, const char* what, std::size_t max = max_string) {
  if (o.type != msgpack::type::STR) throw bad_frame{std::string(what) + " is not a string"};
  if (o.via.str.size > max) throw bad_frame{std::string(what) + " is too long"};
  return std::string(o.via.str.ptr, o.via.str.size);
}
std::uint64_t u64(const msgpack::object& o, const char* what) {
  if (o.type != msgpack::type::POSITIVE_INTEGER)
    throw bad_frame{std::string(what) + " is not a non-negative integer"};
  return o.via.u64;
}
std::int64_t i64(const msgpack::object& o, const char* what) {
  if (o.type == msgpack::type::POSITIVE_INTEGER) {
    if (o.via.u64 > static_cast<std::uint64_t>(INT64_MAX))
      throw bad_frame{std::string(what) + " is too large"};
    return static_cast<std::int64_t>(o.via.u64);
  }
  if (o.type == msgpack::type::NEGATIVE_INTEGER) return o.via.i64;
  throw bad_frame{std::string(what) + " is not an integer"};
}
int small_int(const msgpack::object& o, const char* what, std::int64_t lo, std::int64_t hi) {
  const std::int64_t v = i64(o, what);
  if (v < lo || v > hi) throw bad_frame{std::string(what) + " is out of range"};
  return static_cast<int>(v);
}
double number(const msgpack::object& o, const char* what) {
  if (o.type == msgpack::type::FLOAT32 || o.type == msgpack::type::FLOAT64) return o.via.f64;
  return static_cast<double>(i64(o, what));
}
bool boolean(const msgpack::object& o, const char* what) {
  if (o.type != msgpack::type::BOOLEAN) throw bad_frame{std::string(what) + " is not a boolean"};
  return o.via.boolean;
}
void expect_array(const msgpack::object& o, std::uint32_t n, const char* what) {
  if (o.type != msgpack::type::ARRAY || o.via.array.size != n)
    throw bad_frame{std::string(what) + " must be an array of " + std::to_string(n)};
}
std::vector<std::string> strings(const msgpack::object& o, const char* what) {
  if (o.type != msgpack::type::ARRAY || o.via.array.size > 10000)
    throw bad_frame{std::string(what) + " is not a list"};
  std::vector<std::string> out;
  for (std::uint32_t i = 0; i < o.via.array.size; ++i)
    out.push_back(str(o.via.array.ptr[i], what, 4096));
  return out;
}
std::map<std::string, int> string_int_map(const msgpack::object& o, const char* what) {
  if (o.type != msgpack::type::MAP || o.via.map.size > 10000)
    throw bad_frame{std::string(what) + " is not a map"};
  std::map<std::string, int> out;
  for (std::uint32_t i = 0; i < o.via.map.size; ++i)
    out[str(o.via.map.ptr[i].key, what, max_id)] =
        small_int(o.via.map.ptr[i].val, what, 0, 10'000'000);
  return out;
}

/// [first1, last1, first2, last2, ...]: ascending, disjoint ranges.
void pack_ids(packer& p, const id_ranges& ids) {
  p.pack_array(static_cast<std::uint32_t>(ids.ranges().size() * 2));
  for (const auto& r : ids.ranges()) {
    p.pack(r.first);
    p.pack(r.last);
  }
}
id_ranges unpack_ids(const msgpack::object& o, const char* what) {
  if (o.type != msgpack::type::ARRAY || o.via.array.size % 2 != 0)
    throw bad_frame{std::string(what) + " must be an array of first, last pairs"};
  id_ranges ids;
  for (std::uint32_t i = 0; i < o.via.array.size; i += 2) {
    const std::uint64_t first = u64(o.via.array.ptr[i], what);
    const std::uint64_t last = u64(o.via.array.ptr[i + 1], what);
    if (last < first || (ids.highest() && first <= *ids.highest()))
      throw bad_frame{std::string(what) + " ranges are not ascending and disjoint"};
    ids.insert(first, last);
  }
  return ids;
}
template <class Value, class Unpack>
std::map<std::string, Value> string_map(const msgpack::object& o, const char* what, Unpack unpack) {
  if (o.type != msgpack::type::MAP || o.via.map.size > 10000)
    throw bad_frame{std::string(what) + " is not a map"};
  std::map<std::string, Value> out;
  for (std::uint32_t i = 0; i < o.via.map.size; ++i)
    out[str(o.via.map.ptr[i].key, what, max_id)] = unpack(o.via.map.ptr[i].val);
  return out;
}

/// [rate, rate_to, ramp_us, max_users, phase, until_us or nil, first_thread, threads, plan_id]
void pack_arrival(packer& p, const spawn_command& s) {
  const config::arrival_plan& a = *s.arrival;
  p.pack_array(9);
  p.pack(a.rate);
  p.pack(a.rate_to);
  p.pack(static_cast<std::int64_t>(a.ramp.count()));
  p.pack(a.max_users);
  p.pack(a.phase);
  if (a.until) {
    p.pack(static_cast<std::int64_t>(a.until->count()));
  } else {
    p.pack_nil();
  }
  p.pack(s.arrival_first_thread);
  p.pack(s.arrival_threads);
  p.pack(s.arrival_plan_id);
}
/// Into s.arrival and its threads.
void unpack_arrival(const msgpack::object& o, spawn_command& s) {
  expect_array(o, 9, "spawn.arrival");
  config::arrival_plan a;
  a.rate = number(field(o, 0, "spawn.arrival"), "spawn.arrival.rate");
  if (!(a.rate >= 0 && a.rate < 1e9)) throw bad_frame{"spawn.arrival.rate is out of range"};
  a.rate_to = number(field(o, 1, "spawn.arrival"), "spawn.arrival.rate_to");
  if (!(a.rate_to >= 0 && a.rate_to < 1e9))
    throw bad_frame{"spawn.arrival.rate_to is out of range"};
  const std::int64_t ramp_us = i64(field(o, 2, "spawn.arrival"), "spawn.arrival.ramp_us");
  if (ramp_us < 0 || ramp_us > 31'536'000'000'000)  // a year
    throw bad_frame{"spawn.arrival.ramp_us is out of range"};
  a.ramp = std::chrono::microseconds(ramp_us);
  a.max_users = small_int(field(o, 3, "spawn.arrival"), "spawn.arrival.max_users", 1, 10'000'000);
  a.phase = number(field(o, 4, "spawn.arrival"), "spawn.arrival.phase");
  if (!(a.phase >= 0 && a.phase < 1)) throw bad_frame{"spawn.arrival.phase is out of range"};
  if (const auto& u = field(o, 5, "spawn.arrival"); u.type != msgpack::type::NIL) {
    const std::int64_t until_us = i64(u, "spawn.arrival.until_us");
    if (until_us < 0 || until_us > 31'536'000'000'000)  // a year
      throw bad_frame{"spawn.arrival.until_us is out of range"};
    a.until = std::chrono::microseconds(until_us);
  }
  s.arrival_threads =
      small_int(field(o, 7, "spawn.arrival"), "spawn.arrival.threads", 1, 1'000'000'000);
  s.arrival_first_thread = small_int(field(o, 6, "spawn.arrival"), "spawn.arrival.first_thread", 0,
                                     s.arrival_threads - 1);
  s.arrival_plan_id = u64(field(o, 8, "spawn.arrival"), "spawn.arrival.plan_id");
  s.arrival = a;
}

/// spawn.setup_data: one msgpack value within setup_data_limit.hpp's limits, or nothing.
std::string setup_data(const msgpack::object& o) {
  if (o.type != msgpack::type::BIN || o.via.bin.size > max_setup_data_bytes)
    throw bad_frame{"spawn.setup_data is not bytes"};
  std::string bytes(o.via.bin.ptr, o.via.bin.size);
  if (auto problem = setup_data_problem(bytes))
    throw bad_frame{"spawn.setup_data is not a value the workers take: " + *problem};
  return bytes;
}

struct payload_packer {
  packer& p;
  void operator()(const hello_payload& h) const {
    p.pack_array(4);
    p.pack(h.host);
    p.pack(h.pid);
    p.pack(h.threads);
    p.pack(h.incarnation);
  }
  void operator()(const welcome_payload& w) const {
    p.pack_array(9);
    p.pack(w.scenario_name);
    p.pack(w.scenario_yaml);
    p.pack(w.target);
    p.pack_map(static_cast<std::uint32_t>(w.files.size()));
    for (const auto& [k, v] : w.files) {
      p.pack(k);
      p.pack(v);
    }
    p.pack(w.heartbeat_interval_ms);
    p.pack(w.stats_port);
    p.pack(w.environment);
    p.pack(w.tags);
    p.pack(w.exclude_tags);
  }
  void operator()(const refused_payload& r) const {
    p.pack_array(1);
    p.pack(r.reason);
  }
  void operator()(const spawn_command& s) const {
    p.pack_array(13);
    p.pack(s.run_id);
    p.pack(s.command_id);
    p.pack_map(static_cast<std::uint32_t>(s.users_per_class.size()));
    for (const auto& [k, v] : s.users_per_class) {
      p.pack(k);
      p.pack(v);
    }
    p.pack(s.spawn_rate);
    if (s.arrival) {
      pack_arrival(p, s);
    } else {
      p.pack_nil();
    }
    p.pack_map(static_cast<std::uint32_t>(s.user_ids.size()));
    for (const auto& [k, v] : s.user_ids) {
      p.pack(k);
      pack_ids(p, v);
    }
    pack_ids(p, s.arrival_ids);
    p.pack(s.worker_index);
    p.pack(s.worker_count);
    p.pack_map(static_cast<std::uint32_t>(s.data_rows.size()));
    for (const auto& [k, v] : s.data_rows) {
      p.pack(k);
      p.pack_array(2);
      pack_ids(p, v.rows);
      p.pack(v.final);
    }
    p.pack_bin(static_cast<std::uint32_t>(s.setup_data.size()));
    p.pack_bin_body(s.setup_data.data(), static_cast<std::uint32_t>(s.setup_data.size()));
    p.pack(s.spawn_delay_s);
    p.pack(s.stats_resets);
  }
  void operator()(const stop_payload& s) const {
    p.pack_array(1);
    p.pack(s.run_id);
  }
  void operator()(const reset_payload& r) const {
    p.pack_array(2);
    p.pack(r.run_id);
    p.pack(r.resets);
  }
  void operator()(const empty_payload&) const { p.pack_array(0); }
  void operator()(const heartbeat_payload& h) const {
    p.pack_array(4);
    p.pack(h.users);
    p.pack(h.cpu_percent);
    p.pack(h.run_id);
    p.pack(h.names_known);
  }
  void operator()(const spawn_complete_payload& c) const {
    p.pack_array(2);
    p.pack(c.run_id);
    p.pack(c.users);
  }
  void operator()(const error_payload& e) const {
    p.pack_array(2);
    p.pack(e.text);
    if (e.refused) {
      p.pack(static_cast<std::uint8_t>(*e.refused));
    } else {
      p.pack_nil();
    }
  }
  void operator()(const stats_report& r) const {
    report_names every_name_defined;
    pack_stats_report(p, r, every_name_defined);
  }
};

payload decode_payload(message_type type, const msgpack::object& o) {
  switch (type) {
    case message_type::hello: {
      expect_array(o, 4, "hello");
      return hello_payload{str(field(o, 0, "hello"), "hello.host", max_id),
                           i64(field(o, 1, "hello"), "hello.pid"),
                           small_int(field(o, 2, "hello"), "hello.threads", 1, 4096),
                           u64(field(o, 3, "hello"), "hello.incarnation")};
    }
    case message_type::welcome: {
      expect_array(o, 9, "welcome");
      welcome_payload w;
      w.scenario_name = str(field(o, 0, "welcome"), "welcome.scenario_name", 4096);
      w.scenario_yaml = str(field(o, 1, "welcome"), "welcome.scenario");
      w.target = str(field(o, 2, "welcome"), "welcome.target", 4096);
      const auto& files = field(o, 3, "welcome");
      if (files.type != msgpack::type::MAP || files.via.map.size > 1000)
        throw bad_frame{"welcome.files is not a map"};
      for (std::uint32_t i = 0; i < files.via.map.size; ++i)
        w.files[str(files.via.map.ptr[i].key, "welcome.files key", 4096)] =
            str(files.via.map.ptr[i].val, "welcome.files value");
      w.heartbeat_interval_ms =
          small_int(field(o, 4, "welcome"), "welcome.heartbeat_interval_ms", 10, 600'000);
      w.stats_port = small_int(field(o, 5, "welcome"), "welcome.stats_port", 0, 65535);
      const auto& env = field(o, 6, "welcome");
      if (env.type != msgpack::type::MAP || env.via.map.size > 10000)
        throw bad_frame{"welcome.environment is not a map"};
      for (std::uint32_t i = 0; i < env.via.map.size; ++i)
        w.environment[str(env.via.map.ptr[i].key, "welcome.environment key", 4096)] =
            str(env.via.map.ptr[i].val, "welcome.environment value");
      w.tags = strings(field(o, 7, "welcome"), "welcome.tags");
      w.exclude_tags = strings(field(o, 8, "welcome"), "welcome.exclude_tags");
      return w;
    }
    case message_type::refused:
      expect_array(o, 1, "refused");
      return refused_payload{str(field(o, 0, "refused"), "refused.reason", 4096)};
    case message_type::spawn: {
      expect_array(o, 13, "spawn");
      spawn_command s;
      s.run_id = u64(field(o, 0, "spawn"), "spawn.run_id");
      s.command_id = u64(field(o, 1, "spawn"), "spawn.command_id");
      s.users_per_class = string_int_map(field(o, 2, "spawn"), "spawn.users_per_class");
      s.spawn_rate = number(field(o, 3, "spawn"), "spawn.spawn_rate");
      if (!(s.spawn_rate > 0 && s.spawn_rate < 1e9))
        throw bad_frame{"spawn.spawn_rate is out of range"};
      // nil: the closed model
      if (const auto& a = field(o, 4, "spawn"); a.type != msgpack::type::NIL) unpack_arrival(a, s);
      s.user_ids = string_map<id_ranges>(
          field(o, 5, "spawn"), "spawn.user_ids",
          [](const msgpack::object& v) { return unpack_ids(v, "spawn.user_ids"); });
      for (const auto& [cls, ids] : s.user_ids) {
        const auto n = s.users_per_class.find(cls);
        if (n == s.users_per_class.end() || ids.size() != static_cast<std::uint64_t>(n->second))
          throw bad_frame{"spawn.user_ids of '" + cls + "' differ from its user count"};
      }
      s.arrival_ids = unpack_ids(field(o, 6, "spawn"), "spawn.arrival_ids");
      s.worker_count = small_int(field(o, 8, "spawn"), "spawn.worker_count", 1, 1'000'000);
      // Not below worker_count: a worker keeps its index when another one leaves.
      s.worker_index = small_int(field(o, 7, "spawn"), "spawn.worker_index", 0, 1'000'000);
      s.data_rows = string_map<row_lease>(
          field(o, 9, "spawn"), "spawn.data_rows", [](const msgpack::object& v) {
            expect_array(v, 2, "spawn.data_rows");
            return row_lease{unpack_ids(field(v, 0, "spawn.data_rows"), "spawn.data_rows"),
                             boolean(field(v, 1, "spawn.data_rows"), "spawn.data_rows.final")};
          });
      s.setup_data = setup_data(field(o, 10, "spawn"));
      s.spawn_delay_s = number(field(o, 11, "spawn"), "spawn.spawn_delay_s");
      if (!(s.spawn_delay_s >= 0 && s.spawn_delay_s <= 1e6))
        throw bad_frame{"spawn.spawn_delay_s is out of range"};
      s.stats_resets = u64(field(o, 12, "spawn"), "spawn.stats_resets");
      return s;
    }
    case message_type::stop:
      expect_array(o, 1, "stop");
      return stop_payload{u64(field(o, 0, "stop"), "stop.run_id")};
    case message_type::reset_stats:
      expect_array(o, 2, "reset_stats");
      return reset_payload{u64(field(o, 0, "reset_stats"), "reset_stats.run_id"),
                           u64(field(o, 1, "reset_stats"), "reset_stats.resets")};
    case message_type::quit:
    case message_type::goodbye:
      expect_array(o, 0, to_string(type));
      return empty_payload{};
    case message_type::heartbeat: {
      expect_array(o, 4, "heartbeat");
      const double cpu = number(field(o, 1, "heartbeat"), "heartbeat.cpu_percent");
      if (!(cpu >= 0 && cpu <= max_cpu_percent))
        throw bad_frame{"heartbeat.cpu_percent is out of range"};
      const std::uint64_t known = u64(field(o, 3, "heartbeat"), "heartbeat.names_known");
      if (known > stats_frame::max_name_number)
        throw bad_frame{"heartbeat.names_known is out of range"};
      return heartbeat_payload{
          small_int(field(o, 0, "heartbeat"), "heartbeat.users", 0, 100'000'000), cpu,
          u64(field(o, 2, "heartbeat"), "heartbeat.run_id"), static_cast<std::uint32_t>(known)};
    }
    case message_type::spawn_complete:
      expect_array(o, 2, "spawn_complete");
      return spawn_complete_payload{
          u64(field(o, 0, "spawn_complete"), "spawn_complete.run_id"),
          small_int(field(o, 1, "spawn_complete"), "spawn_complete.users", 0, 100'000'000)};
    case message_type::error: {
      expect_array(o, 2, "error");
      error_payload e{str(field(o, 0, "error"), "error.text", 4096), std::nullopt};
      if (const auto& r = field(o, 1, "error"); r.type != msgpack::type::NIL) {
        const std::uint64_t refused = u64(r, "error.refused");
        if (refused < 1 || refused > last_message_type)
          throw bad_frame{"error.refused is not a message type"};
        e.refused = static_cast<message_type>(refused);
      }
      return e;
    }
    case message_type::stats:
      break;  // read from the raw bytes (decode())
  }
  throw bad_frame{"unknown message type"};
}

}  // namespace

const char* to_string(message_type t) noexcept {
  switch (t) {
    case message_type::hello:
      return "hello";
    case message_type::welcome:
      return "welcome";
    case message_type::refused:
      return "refused";
    case message_type::spawn:
      return "spawn";
    case message_type::stop:
      return "stop";
    case message_type::quit:
      return "quit";
    case message_type::heartbeat:
      return "heartbeat";
    case message_type::stats:
      return "stats";
    case message_type::goodbye:
      return "goodbye";
    case message_type::spawn_complete:
      return "spawn_complete";
    case message_type::error:
      return "error";
    case message_type::reset_stats:
      return "reset_stats";
  }
  return "unknown";
}

std::string encode(const message& m) {
  msgpack::sbuffer buffer;
  packer p(buffer);
  p.pack_array(4);
  p.pack(static_cast<std::uint8_t>(m.type));
  p.pack(m.version);
  p.pack(m.sender);
  std::visit(payload_packer{p}, m.body);
  return std::string(buffer.data(), buffer.size());
}

namespace {

/// The type of a message whose payload did not decode, read from its header as encode() writes
/// it (an array of 4, then the type, which fits a positive fixint).
std::optional<message_type> header_type(const void* data, std::size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  if (size < 2 || bytes[0] != 0x94 || bytes[1] < 1 || bytes[1] > last_message_type)
    return std::nullopt;
  return static_cast<message_type>(bytes[1]);
}

}  // namespace

std::variant<message, decode_error> decode(const void* data, std::size_t size) {
  try {
    msgpack::object_handle handle = msgpack::unpack(static_cast<const char*>(data), size, nullptr,
                                                    nullptr, stats::safe_unpack_limit());
    const msgpack::object& o = handle.get();
    expect_array(o, 4, "message");
    message m;
    const std::uint64_t type = u64(o.via.array.ptr[0], "message type");
    if (type < 1 || type > last_message_type)
      return decode_error{"unknown message type " + std::to_string(type)};
    m.type = static_cast<message_type>(type);
    const std::uint64_t version = u64(o.via.array.ptr[1], "version");
    if (version != protocol_version && m.type != message_type::refused)
      return decode_error{"protocol version " + std::to_string(version) + ", this side speaks " +
                              std::to_string(protocol_version),
                          static_cast<std::uint16_t>(std::min<std::uint64_t>(version, 65535))};
    m.version = static_cast<std::uint16_t>(version);
    m.sender = str(o.via.array.ptr[2], "sender", max_id);
    if (m.type == message_type::stats) {
      // The master reads stats in place (stats_frame); elsewhere a report must define every name
      // it uses, as encode() writes it.
      stats_frame frame;
      if (auto error = frame.read(std::string(static_cast<const char*>(data), size)))
        return decode_error{*error};
      std::string error;
      auto report = frame.self_contained(error);
      if (!report) return decode_error{error};
      m.body = std::move(*report);
      return m;
    }
    m.body = decode_payload(m.type, o.via.array.ptr[3]);
    return m;
  } catch (const bad_frame& e) {
    return decode_error{e.reason, 0, header_type(data, size)};
  } catch (const std::exception& e) {
    return decode_error{std::string("not msgpack: ") + e.what(), 0, header_type(data, size)};
  }
}

message make_message(message_type type, std::string sender, payload body) {
  message m;
  m.type = type;
  m.sender = std::move(sender);
  m.body = std::move(body);
  return m;
}

}  // namespace swarmlet::proto
