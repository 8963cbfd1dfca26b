#include "stats_frame.hpp"

#include <algorithm>
#include <limits>
#include <msgpack.hpp>

#include "codec.hpp"
#include "common/config/scenario.hpp"
#include "common/stats/cut_text.hpp"
#include "common/stats/stats_codec.hpp"
#include "msgpack_reader.hpp"

namespace swarmlet::proto {
namespace {

using packer = msgpack::packer<msgpack::sbuffer>;

constexpr std::size_t max_id = 256;
// A user class name is a key of data_rows_used: the loader refuses one a report would not take.
static_assert(config::max_user_name_bytes <= max_id);
constexpr std::size_t max_text = stats::stats_table::max_text;  // a method, a name, an error
constexpr std::uint32_t payload_fields = 20;
constexpr std::uint32_t max_data_files = 10000;
// A report defines every name its rows use that the master does not know yet.
static_assert(report_names::max_definitions >= stats_frame::max_rows);

/// [distance from the previous bucket (the first: its number), count, ...]
void pack_histogram(packer& p, const stats::latency_histogram& h) {
  const auto buckets = h.nonzero_buckets();
  p.pack_array(static_cast<std::uint32_t>(buckets.size() * 2));
  std::uint32_t previous = 0;
  for (const auto& [b, n] : buckets) {
    p.pack(b - previous);
    p.pack(n);
    previous = b;
  }
}

/// The 10 figures of a row after its number: requests, failures, total_us, min_us, max_us,
/// content_bytes, histogram, dropped, service_total_us, service histogram.
void pack_figures(packer& p, const stats::request_stats& s) {
  p.pack(s.requests);
  p.pack(s.failures);
  p.pack(s.total_us);
  p.pack(s.requests ? s.min_us : 0);
  p.pack(s.max_us);
  p.pack(s.content_bytes);
  pack_histogram(p, s.histogram);
  p.pack(s.dropped);
  p.pack(s.service_total_us);
  pack_histogram(p, s.service);
}

void pack_ids(packer& p, const id_ranges& ids) {
  p.pack_array(static_cast<std::uint32_t>(ids.ranges().size() * 2));
  for (const auto& r : ids.ranges()) {
    p.pack(r.first);
    p.pack(r.last);
  }
}

/// A hub thread's number (hub_strain).
int hub_thread_number(msgpack_reader& in, const char* what) {
  const std::uint64_t n = in.u64(what);
  if (n > static_cast<std::uint64_t>(hub_strain::max_thread))
    throw wire_error(std::string(what) + " is out of range");
  return static_cast<int>(n);
}

/// Reads histogram buckets into `out`, returning their total count.
std::uint64_t read_histogram(msgpack_reader& in,
                             std::vector<std::pair<std::uint32_t, std::uint64_t>>& out,
                             const char* what) {
  const std::uint32_t n = in.array(what);
  if (n % 2 != 0 || n / 2 > stats::latency_histogram::bucket_count)
    throw wire_error(std::string(what) + " must be distance, count pairs, one per bucket at most");
  std::uint64_t bucket = 0, total = 0;
  for (std::uint32_t i = 0; i < n; i += 2) {
    const std::uint64_t distance = in.u64(what);
    const std::uint64_t count = in.u64(what);
    if (i > 0 && distance == 0) throw wire_error(std::string(what) + " repeats a bucket");
    bucket += std::min<std::uint64_t>(distance, stats::latency_histogram::bucket_count);
    if (bucket >= stats::latency_histogram::bucket_count)
      throw wire_error(std::string(what) + " has a bucket out of range");
    if (__builtin_add_overflow(total, count, &total))
      throw wire_error(std::string(what) + " counts overflow");
    out.emplace_back(static_cast<std::uint32_t>(bucket), count);
  }
  return total;
}

void read_figures(msgpack_reader& in, stats_frame& f, wire_stats& s, const char* what) {
  s.requests = in.u64(what);
  s.failures = in.u64(what);
  s.total_us = in.u64(what);
  s.min_us = in.u64(what);
  s.max_us = in.u64(what);
  s.content_bytes = in.u64(what);
  s.histogram_begin = static_cast<std::uint32_t>(f.buckets.size());
  const std::uint64_t counted = read_histogram(in, f.buckets, what);
  s.histogram_end = static_cast<std::uint32_t>(f.buckets.size());
  s.dropped = in.u64(what);
  s.service_total_us = in.u64(what);
  s.service_begin = s.histogram_end;
  const std::uint64_t service = read_histogram(in, f.buckets, what);
  s.service_end = static_cast<std::uint32_t>(f.buckets.size());
  if (s.failures > s.requests || (s.requests > 0 && s.min_us > s.max_us))
    throw wire_error(std::string(what) + " is inconsistent");
  if (counted != s.requests) throw wire_error(std::string(what) + " histogram does not match");
  if (service > s.requests)
    throw wire_error(std::string(what) + " service histogram counts more than its requests");
}

}  // namespace

void pack_stats_report(packer& p, const stats_report& r, report_names& names) {
  names.use_run(r.run_id);
  const auto& entries = r.delta.entries();
  // Numbers first: the definitions precede the rows that use them.
  std::vector<std::uint32_t> numbers;
  numbers.reserve(entries.size());
  std::vector<std::uint32_t> defined;
  for (const auto& [key, s] : entries) {
    numbers.push_back(names.number(key));
    if (numbers.back() >= names.known_below()) defined.push_back(numbers.back());
  }
  // Names of earlier reports the master has not confirmed ride along too (one of those reports
  // may be lost): the master's count of known names then moves on without a gap.
  const std::size_t used = defined.size();
  for (std::uint32_t n = names.known_below();
       n < names.size() && defined.size() < report_names::max_definitions; ++n)
    if (!std::binary_search(defined.begin(), defined.begin() + static_cast<std::ptrdiff_t>(used),
                            n))
      defined.push_back(n);

  p.pack_array(payload_fields);
  p.pack(r.run_id);
  p.pack(r.incarnation);
  p.pack(r.sequence);
  p.pack(r.final);
  p.pack(r.command_id);
  p.pack(r.stats_resets);
  p.pack(r.users);
  p.pack(std::max(r.users, r.peak_users));
  p.pack(r.cpu_percent);
  p.pack_array(4);
  p.pack(r.hubs.busiest_thread);
  p.pack(r.hubs.busiest_cpu_percent);
  p.pack(r.hubs.blocked_thread);
  p.pack(r.hubs.blocked_ms);
  // No more than a report may carry (stats_frame::read refuses more): the first, cut short
  // between two UTF-8 characters.
  const std::size_t warnings = std::min(r.warnings.size(), stats_report::max_warnings);
  p.pack_array(static_cast<std::uint32_t>(warnings));
  for (std::size_t i = 0; i < warnings; ++i) {
    p.pack(stats::utf8_prefix(r.warnings[i], stats_report::max_warning_bytes));
  }
  p.pack(r.requests_sent);
  pack_ids(p, r.live_user_ids);
  p.pack_map(static_cast<std::uint32_t>(r.data_rows_used.size()));
  for (const auto& [k, v] : r.data_rows_used) {
    p.pack(k);
    p.pack(v);
  }
  p.pack_array(static_cast<std::uint32_t>(defined.size() * 3));
  for (const std::uint32_t n : defined) {
    p.pack(n);
    p.pack(names.key(n).method);
    p.pack(names.key(n).name);
  }
  p.pack_array(static_cast<std::uint32_t>(entries.size()));
  std::size_t i = 0;
  for (const auto& [key, s] : entries) {
    p.pack_array(11);
    p.pack(numbers[i++]);
    pack_figures(p, s);
  }
  p.pack_array(static_cast<std::uint32_t>(r.delta.errors().size()));
  for (const auto& [key, n] : r.delta.errors()) {
    p.pack_array(4);
    p.pack(key.method);
    p.pack(key.name);
    p.pack(key.message);
    p.pack(n);
  }
  p.pack_array(10);
  pack_figures(p, r.delta.lag());
  p.pack_array(2);
  p.pack(r.delta.versions().http1_1);
  p.pack(r.delta.versions().http2);
  p.pack_array(static_cast<std::uint32_t>(r.exceptions.entries().size()));
  for (const auto& [key, n] : r.exceptions.entries()) {
    p.pack_array(3);
    p.pack(key.message);
    p.pack(key.traceback);
    p.pack(n);
  }
}

std::string encode_stats(const std::string& sender, const stats_report& report,
                         report_names& names) {
  msgpack::sbuffer buffer;
  packer p(buffer);
  p.pack_array(4);
  p.pack(static_cast<std::uint8_t>(message_type::stats));
  p.pack(protocol_version);
  p.pack(sender);
  pack_stats_report(p, report, names);
  return std::string(buffer.data(), buffer.size());
}

std::optional<std::string> stats_frame::read(std::string bytes) {
  bytes_ = std::move(bytes);
  header_read_ = false;
  sender = {};
  run_id = incarnation = sequence = command_id = stats_resets = requests_sent = http1_1 = http2 = 0;
  final = false;
  users = peak_users = 0;
  cpu_percent = 0;
  hubs = {};
  warnings.clear();
  lag = {};
  names.clear();
  rows.clear();
  errors.clear();
  exceptions.clear();
  buckets.clear();
  data_rows_used.clear();
  live_user_ids = {};
  try {
    msgpack_reader in(bytes_.data(), bytes_.size());
    in.array_of(4, "message");
    const std::uint64_t type = in.u64("message type");
    const std::uint64_t version = in.u64("version");
    if (type != static_cast<std::uint64_t>(message_type::stats)) {
      if (type >= 1 && type <= last_message_type)
        return std::string("stats plane carries stats, not ") +
               to_string(static_cast<message_type>(type));
      return "unknown message type " + std::to_string(type);
    }
    if (version != protocol_version)
      return "protocol version " + std::to_string(version) + ", this side speaks " +
             std::to_string(protocol_version);
    sender = in.str("sender", max_id);
    in.array_of(payload_fields, "stats");
    run_id = in.u64("stats.run_id");
    incarnation = in.u64("stats.incarnation");
    sequence = in.u64("stats.sequence");
    final = in.boolean("stats.final");
    command_id = in.u64("stats.command_id");
    stats_resets = in.u64("stats.stats_resets");
    const std::uint64_t u = in.u64("stats.users");
    if (u > 100'000'000) throw wire_error("stats.users is out of range");
    users = static_cast<int>(u);
    const std::uint64_t peak = in.u64("stats.peak_users");
    if (peak > 100'000'000 || peak < u) throw wire_error("stats.peak_users is out of range");
    peak_users = static_cast<int>(peak);
    cpu_percent = in.real("stats.cpu_percent");
    if (!(cpu_percent >= 0 && cpu_percent <= max_cpu_percent))
      throw wire_error("stats.cpu_percent is out of range");
    in.array_of(4, "stats.hubs");
    hubs.busiest_thread = hub_thread_number(in, "stats.hubs.busiest_thread");
    hubs.busiest_cpu_percent = in.real("stats.hubs.busiest_cpu_percent");
    if (!(hubs.busiest_cpu_percent >= 0 && hubs.busiest_cpu_percent <= 100))
      throw wire_error("stats.hubs.busiest_cpu_percent is out of range");
    hubs.blocked_thread = hub_thread_number(in, "stats.hubs.blocked_thread");
    hubs.blocked_ms = in.real("stats.hubs.blocked_ms");
    if (!(hubs.blocked_ms >= 0 && hubs.blocked_ms <= hub_strain::max_turn_ms))
      throw wire_error("stats.hubs.blocked_ms is out of range");
    const std::uint32_t warning_count = in.array("stats.warnings");
    if (warning_count > stats_report::max_warnings)
      throw wire_error("stats.warnings: more than " + std::to_string(stats_report::max_warnings));
    for (std::uint32_t i = 0; i < warning_count; ++i)
      warnings.push_back(in.str("stats.warnings", stats_report::max_warning_bytes));
    requests_sent = in.u64("stats.requests_sent");
    const std::uint32_t ids = in.array("stats.live_user_ids");
    if (ids % 2 != 0) throw wire_error("stats.live_user_ids must be first, last pairs");
    for (std::uint32_t i = 0; i < ids; i += 2) {
      const std::uint64_t first = in.u64("stats.live_user_ids");
      const std::uint64_t last = in.u64("stats.live_user_ids");
      if (last < first || (live_user_ids.highest() && first <= *live_user_ids.highest()))
        throw wire_error("stats.live_user_ids ranges are not ascending and disjoint");
      live_user_ids.insert(first, last);
    }
    const std::uint32_t files = in.map("stats.data_rows_used");
    if (files > max_data_files) throw wire_error("stats.data_rows_used is too large");
    for (std::uint32_t i = 0; i < files; ++i) {
      const auto file = in.str("stats.data_rows_used", max_id);
      data_rows_used[std::string(file)] = in.u64("stats.data_rows_used");
    }
    header_read_ = true;
    const std::uint32_t defined = in.array("stats.names");
    if (defined % 3 != 0 || defined / 3 > report_names::max_definitions)
      throw wire_error("stats.names must be number, method, name triples, at most " +
                       std::to_string(report_names::max_definitions));
    names.reserve(defined / 3);
    for (std::uint32_t i = 0; i < defined; i += 3) {
      name_definition d;
      const std::uint64_t number = in.u64("stats.names");
      if (number >= max_name_number) throw wire_error("stats.names has a number out of range");
      d.number = static_cast<std::uint32_t>(number);
      d.method = in.str("stats.names method", max_text);
      d.name = in.str("stats.names name", max_text);
      names.push_back(d);
    }
    const std::uint32_t row_count = in.array("stats.rows");
    if (row_count > max_rows)
      throw wire_error("stats: more than " + std::to_string(max_rows) +
                       " request names in one report");
    rows.resize(row_count);
    for (auto& row : rows) {
      in.array_of(11, "stats row");
      const std::uint64_t number = in.u64("stats row name");
      if (number >= max_name_number) throw wire_error("stats row name is out of range");
      row.name = static_cast<std::uint32_t>(number);
      read_figures(in, *this, row.stats, "stats row");
    }
    const std::uint32_t error_count = in.array("stats.errors");
    if (error_count > max_errors)
      throw wire_error("stats: more than " + std::to_string(max_errors) + " errors in one report");
    errors.resize(error_count);
    for (auto& e : errors) {
      in.array_of(4, "stats error");
      e.method = in.str("stats error method", max_text);
      e.name = in.str("stats error name", max_text);
      e.message = in.str("stats error message", max_text);
      e.count = in.u64("stats error count");
    }
    in.array_of(10, "stats.lag");
    read_figures(in, *this, lag, "stats.lag");
    in.array_of(2, "stats.versions");
    http1_1 = in.u64("stats.versions");
    http2 = in.u64("stats.versions");
    const std::uint32_t exception_count = in.array("stats.exceptions");
    if (exception_count > stats::max_report_exceptions)
      throw wire_error("exceptions: more than " + std::to_string(stats::max_report_exceptions) +
                       " in one report");
    exceptions.resize(exception_count);
    for (auto& e : exceptions) {
      in.array_of(3, "stats exception");
      e.message = in.str("stats exception message", stats::exception_table::max_message);
      e.traceback = in.str("stats exception traceback", stats::exception_table::max_traceback);
      e.count = in.u64("stats exception count");
      if (e.count == 0) throw wire_error("stats exception count is 0");
    }
    if (!in.at_end()) throw wire_error("stats message has bytes after its end");
    return std::nullopt;
  } catch (const wire_error& e) {
    // What was read of the body counts for nothing: the header alone stays.
    names.clear();
    rows.clear();
    errors.clear();
    exceptions.clear();
    buckets.clear();
    lag = {};
    http1_1 = http2 = 0;
    return std::string(e.what());
  }
}

std::uint64_t stats_frame::requests() const noexcept {
  std::uint64_t n = 0;
  for (const auto& r : rows) n += r.stats.requests;
  return n;
}

void stats_frame::add_to(stats::request_stats& into, const wire_stats& s) const noexcept {
  into.requests += s.requests;
  into.failures += s.failures;
  into.total_us += s.total_us;
  if (s.requests > 0) {
    into.min_us = std::min(into.min_us, s.min_us);
    into.max_us = std::max(into.max_us, s.max_us);
  }
  into.content_bytes += s.content_bytes;
  // Checked when read: every bucket is in range.
  for (const auto& [b, n] : histogram(s)) into.histogram.add_to_bucket(b, n);
  into.dropped += s.dropped;
  into.service_total_us += s.service_total_us;
  for (const auto& [b, n] : service(s)) into.service.add_to_bucket(b, n);
}

std::optional<stats_report> stats_frame::self_contained(std::string& error) const {
  std::map<std::uint32_t, stats::request_key> keys;
  for (const auto& d : names) {
    stats::request_key key{std::string(d.method), std::string(d.name)};
    auto [it, added] = keys.try_emplace(d.number, key);
    if (!added && it->second != key) {
      error = "stats.names defines number " + std::to_string(d.number) + " twice";
      return std::nullopt;
    }
  }
  stats_report r;
  r.worker_id = std::string(sender);
  r.run_id = run_id;
  r.incarnation = incarnation;
  r.sequence = sequence;
  r.final = final;
  r.command_id = command_id;
  r.stats_resets = stats_resets;
  r.users = users;
  r.peak_users = peak_users;
  r.cpu_percent = cpu_percent;
  r.hubs = hubs;
  r.warnings.assign(warnings.begin(), warnings.end());
  r.requests_sent = requests_sent;
  r.live_user_ids = live_user_ids;
  r.data_rows_used = data_rows_used;
  for (const auto& row : rows) {
    const auto key = keys.find(row.name);
    if (key == keys.end()) {
      error = "stats row uses name " + std::to_string(row.name) + ", which the report lacks";
      return std::nullopt;
    }
    add_to(r.delta.entry(key->second.method, key->second.name), row.stats);
  }
  for (const auto& e : errors)
    r.delta.record_error(std::string(e.method), std::string(e.name), std::string(e.message),
                         e.count);
  add_to(r.delta.lag(), lag);
  r.delta.versions().http1_1 = http1_1;
  r.delta.versions().http2 = http2;
  r.exceptions = stats::exception_table(stats::max_report_exceptions);
  for (const auto& e : exceptions)
    r.exceptions.record(std::string(e.message), std::string(e.traceback), e.count);
  return r;
}

}  // namespace swarmlet::proto
