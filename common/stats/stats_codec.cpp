#include "stats_codec.hpp"

#include <limits>

namespace swarmlet::stats {
namespace {

constexpr std::size_t entry_fields = 9;
constexpr std::size_t max_string = 4096;
// Bounds on what one report may make the master allocate (a histogram is up to 26 KiB).
constexpr std::uint32_t max_entries = 2000;
constexpr std::uint32_t max_errors = 2000;

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

}  // namespace

void pack_stats(msgpack::packer<msgpack::sbuffer>& out, const stats_table& table) {
  out.pack_array(2);
  out.pack_array(static_cast<std::uint32_t>(table.entries().size()));
  for (const auto& [key, s] : table.entries()) {
    out.pack_array(entry_fields);
    out.pack(key.method);
    out.pack(key.name);
    out.pack(s.requests);
    out.pack(s.failures);
    out.pack(s.total_us);
    out.pack(s.requests ? s.min_us : 0);
    out.pack(s.max_us);
    out.pack(s.content_bytes);
    const auto buckets = s.histogram.nonzero_buckets();
    out.pack_array(static_cast<std::uint32_t>(buckets.size() * 2));
    for (const auto& [b, n] : buckets) {
      out.pack(b);
      out.pack(n);
    }
  }
  out.pack_array(static_cast<std::uint32_t>(table.errors().size()));
  for (const auto& [key, n] : table.errors()) {
    out.pack_array(4);
    out.pack(key.method);
    out.pack(key.name);
    out.pack(key.message);
    out.pack(n);
  }
}

std::optional<stats_table> unpack_stats(const msgpack::object& in, std::string& error) {
  if (in.type != msgpack::type::ARRAY || in.via.array.size != 2 ||
      in.via.array.ptr[0].type != msgpack::type::ARRAY ||
      in.via.array.ptr[1].type != msgpack::type::ARRAY) {
    error = "stats: expected [entries, errors]";
    return std::nullopt;
  }
  stats_table table;
  const auto& entries = in.via.array.ptr[0].via.array;
  if (entries.size > max_entries || in.via.array.ptr[1].via.array.size > max_errors) {
    error = "stats: more than " + std::to_string(max_entries) + " request names or errors in one report";
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
    std::uint64_t min_us = 0;
    if (!read_string(f[0], method) || !read_string(f[1], name) || !read_u64(f[2], s.requests) ||
        !read_u64(f[3], s.failures) || !read_u64(f[4], s.total_us) || !read_u64(f[5], min_us) ||
        !read_u64(f[6], s.max_us) || !read_u64(f[7], s.content_bytes) ||
        f[8].type != msgpack::type::ARRAY || f[8].via.array.size % 2 != 0) {
      error = "stats: entry " + std::to_string(i) + " has a field of the wrong type";
      return std::nullopt;
    }
    if (s.failures > s.requests || (s.requests > 0 && min_us > s.max_us)) {
      error = "stats: entry " + std::to_string(i) + " is inconsistent";
      return std::nullopt;
    }
    s.min_us = s.requests ? min_us : std::numeric_limits<std::uint64_t>::max();
    const auto& buckets = f[8].via.array;
    for (std::uint32_t b = 0; b < buckets.size; b += 2) {
      std::uint64_t bucket = 0, n = 0;
      if (!read_u64(buckets.ptr[b], bucket) || !read_u64(buckets.ptr[b + 1], n) ||
          bucket > std::numeric_limits<std::uint32_t>::max() ||
          !s.histogram.add_to_bucket(static_cast<std::uint32_t>(bucket), n)) {
        error = "stats: entry " + std::to_string(i) + " has a bad histogram bucket";
        return std::nullopt;
      }
    }
    if (s.histogram.count() != s.requests) {
      error = "stats: entry " + std::to_string(i) + " histogram does not match its count";
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
    msgpack::object_handle handle = msgpack::unpack(bytes.data(), bytes.size(), nullptr, nullptr, safe_unpack_limit());
    return unpack_stats(handle.get(), error);
  } catch (const std::exception& e) {
    error = std::string("stats: not msgpack: ") + e.what();
    return std::nullopt;
  }
}

}  // namespace swarmlet::stats
