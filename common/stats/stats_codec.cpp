#include "stats_codec.hpp"

#include <limits>

namespace swarmlet::stats {
namespace {

constexpr std::size_t entry_fields = 12;
constexpr std::size_t max_string = stats_table::max_text;  // what a table keeps
// Bounds on what one report may make the master allocate (a histogram is up to 26 KiB): what
// a worker folds its reports to (stats_table::fold_past).
constexpr std::uint32_t max_entries = stats_table::max_report_rows;
constexpr std::uint32_t max_errors = stats_table::max_report_errors;

bool read_u64(const msgpack::object& o, std::uint64_t& out) {
  if (o.type != msgpack::type::POSITIVE_INTEGER) return false;
  out = o.via.u64;
  return true;
}

bool read_string(const msgpack::object& o, std::string& out) {
  if (o.type != msgpack::type::STR || o.via.str.size > max_string) return false;
  out.assign(o.via.str.ptr, o.via.str.size);
  return true;
}

void pack_histogram(msgpack::packer<msgpack::sbuffer>& out, const latency_histogram& h) {
  const auto buckets = h.nonzero_buckets();
  out.pack_array(static_cast<std::uint32_t>(buckets.size() * 2));
  for (const auto& [b, n] : buckets) {
    out.pack(b);
    out.pack(n);
  }
}

bool unpack_histogram(const msgpack::object& o, latency_histogram& h) {
  if (o.type != msgpack::type::ARRAY || o.via.array.size % 2 != 0) return false;
  for (std::uint32_t b = 0; b < o.via.array.size; b += 2) {
    std::uint64_t bucket = 0, n = 0;
    if (!read_u64(o.via.array.ptr[b], bucket) || !read_u64(o.via.array.ptr[b + 1], n) ||
        bucket > std::numeric_limits<std::uint32_t>::max() ||
        !h.add_to_bucket(static_cast<std::uint32_t>(bucket), n))
      return false;
  }
  return true;
}

void pack_entry_values(msgpack::packer<msgpack::sbuffer>& out, const request_stats& s) {
  out.pack(s.requests);
  out.pack(s.failures);
  out.pack(s.total_us);
  out.pack(s.requests ? s.min_us : 0);
  out.pack(s.max_us);
  out.pack(s.content_bytes);
  pack_histogram(out, s.histogram);
  out.pack(s.dropped);
  out.pack(s.service_total_us);
  pack_histogram(out, s.service);
}

/// Reads the 10 values pack_entry_values wrote, from f[0..9]; empty string when they are sound.
std::string unpack_entry_values(const msgpack::object* f, request_stats& s) {
  std::uint64_t min_us = 0;
  if (!read_u64(f[0], s.requests) || !read_u64(f[1], s.failures) || !read_u64(f[2], s.total_us) ||
      !read_u64(f[3], min_us) || !read_u64(f[4], s.max_us) || !read_u64(f[5], s.content_bytes) ||
      !read_u64(f[7], s.dropped) || !read_u64(f[8], s.service_total_us))
    return "has a field of the wrong type";
  if (s.failures > s.requests || (s.requests > 0 && min_us > s.max_us)) return "is inconsistent";
  s.min_us = s.requests ? min_us : std::numeric_limits<std::uint64_t>::max();
  if (!unpack_histogram(f[6], s.histogram) || !unpack_histogram(f[9], s.service))
    return "has a bad histogram bucket";
  if (s.histogram.count() != s.requests) return "histogram does not match its count";
  if (s.service.count() > s.requests) return "service histogram counts more than its requests";
  return {};
}

}  // namespace

void pack_stats(msgpack::packer<msgpack::sbuffer>& out, const stats_table& table) {
  out.pack_array(4);
  out.pack_array(static_cast<std::uint32_t>(table.entries().size()));
  for (const auto& [key, s] : table.entries()) {
    out.pack_array(entry_fields);
    out.pack(key.method);
    out.pack(key.name);
    pack_entry_values(out, s);
  }
  out.pack_array(static_cast<std::uint32_t>(table.errors().size()));
  for (const auto& [key, n] : table.errors()) {
    out.pack_array(4);
    out.pack(key.method);
    out.pack(key.name);
    out.pack(key.message);
    out.pack(n);
  }
  out.pack_array(10);
  pack_entry_values(out, table.lag());
  out.pack_array(2);
  out.pack(table.versions().http1_1);
  out.pack(table.versions().http2);
}

std::optional<stats_table> unpack_stats(const msgpack::object& in, std::string& error) {
  // [entries, errors, lag] from a worker that predates the HTTP version counts; theirs follow.
  if (in.type != msgpack::type::ARRAY || in.via.array.size < 3 || in.via.array.size > 4 ||
      in.via.array.ptr[0].type != msgpack::type::ARRAY ||
      in.via.array.ptr[1].type != msgpack::type::ARRAY ||
      in.via.array.ptr[2].type != msgpack::type::ARRAY ||
      in.via.array.ptr[2].via.array.size != 10) {
    error = "stats: expected [entries, errors, lag, versions]";
    return std::nullopt;
  }
  stats_table table;
  const auto& entries = in.via.array.ptr[0].via.array;
  if (entries.size > max_entries || in.via.array.ptr[1].via.array.size > max_errors) {
    error = "stats: more than " + std::to_string(max_entries) +
            " request names or errors in one report";
    return std::nullopt;
  }
  for (std::uint32_t i = 0; i < entries.size; ++i) {
    const msgpack::object& e = entries.ptr[i];
    if (e.type != msgpack::type::ARRAY || e.via.array.size != entry_fields) {
      error = "stats: entry " + std::to_string(i) + " is not a " + std::to_string(entry_fields) +
              "-field array";
      return std::nullopt;
    }
    const msgpack::object* f = e.via.array.ptr;
    std::string method, name;
    request_stats s;
    if (!read_string(f[0], method) || !read_string(f[1], name)) {
      error = "stats: entry " + std::to_string(i) + " has a field of the wrong type";
      return std::nullopt;
    }
    if (auto why = unpack_entry_values(f + 2, s); !why.empty()) {
      error = "stats: entry " + std::to_string(i) + " " + why;
      return std::nullopt;
    }
    table.entry(method, name).merge(s);
  }
  const auto& errors = in.via.array.ptr[1].via.array;
  for (std::uint32_t i = 0; i < errors.size; ++i) {
    const msgpack::object& e = errors.ptr[i];
    std::string method, name, message;
    std::uint64_t n = 0;
    if (e.type != msgpack::type::ARRAY || e.via.array.size != 4 ||
        !read_string(e.via.array.ptr[0], method) || !read_string(e.via.array.ptr[1], name) ||
        !read_string(e.via.array.ptr[2], message) || !read_u64(e.via.array.ptr[3], n)) {
      error = "stats: error " + std::to_string(i) + " is malformed";
      return std::nullopt;
    }
    table.record_error(method, name, message, n);
  }
  if (auto why = unpack_entry_values(in.via.array.ptr[2].via.array.ptr, table.lag());
      !why.empty()) {
    error = "stats: generator lag " + why;
    return std::nullopt;
  }
  if (in.via.array.size == 4) {
    const msgpack::object& v = in.via.array.ptr[3];
    if (v.type != msgpack::type::ARRAY || v.via.array.size != 2 ||
        !read_u64(v.via.array.ptr[0], table.versions().http1_1) ||
        !read_u64(v.via.array.ptr[1], table.versions().http2)) {
      error = "stats: HTTP version counts are not [http/1.1, h2]";
      return std::nullopt;
    }
  }
  return table;
}

void pack_exceptions(msgpack::packer<msgpack::sbuffer>& out, const exception_table& table) {
  out.pack_array(static_cast<std::uint32_t>(table.entries().size()));
  for (const auto& [key, n] : table.entries()) {
    out.pack_array(3);
    out.pack(key.message);
    out.pack(key.traceback);
    out.pack(n);
  }
}

std::optional<exception_table> unpack_exceptions(const msgpack::object& in, std::string& error) {
  if (in.type != msgpack::type::ARRAY) {
    error = "exceptions: expected a list of [message, traceback, count]";
    return std::nullopt;
  }
  if (in.via.array.size > max_report_exceptions) {
    error = "exceptions: more than " + std::to_string(max_report_exceptions) + " in one report";
    return std::nullopt;
  }
  exception_table table(max_report_exceptions);
  for (std::uint32_t i = 0; i < in.via.array.size; ++i) {
    const msgpack::object& e = in.via.array.ptr[i];
    std::string message, traceback;
    std::uint64_t n = 0;
    if (e.type != msgpack::type::ARRAY || e.via.array.size != 3 ||
        !read_string(e.via.array.ptr[0], message) || !read_string(e.via.array.ptr[1], traceback) ||
        !read_u64(e.via.array.ptr[2], n) || n == 0) {
      error = "exceptions: row " + std::to_string(i) + " is malformed";
      return std::nullopt;
    }
    if (message.size() > exception_table::max_message ||
        traceback.size() > exception_table::max_traceback) {
      error = "exceptions: row " + std::to_string(i) + " is too long";
      return std::nullopt;
    }
    table.record(message, traceback, n);
  }
  return table;
}

msgpack::unpack_limit safe_unpack_limit() {
  // msgpack allocates what an array or map header claims before it reads the elements: cap it.
  return msgpack::unpack_limit(16384, 4096, 16 * 1024 * 1024, 16 * 1024 * 1024, 0, 16);
}

std::string encode_stats(const stats_table& table) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> packer(buffer);
  pack_stats(packer, table);
  return std::string(buffer.data(), buffer.size());
}

std::optional<stats_table> decode_stats(const std::string& bytes, std::string& error) {
  try {
    msgpack::object_handle handle =
        msgpack::unpack(bytes.data(), bytes.size(), nullptr, nullptr, safe_unpack_limit());
    return unpack_stats(handle.get(), error);
  } catch (const std::exception& e) {
    error = std::string("stats: not msgpack: ") + e.what();
    return std::nullopt;
  }
}

}  // namespace swarmlet::stats
