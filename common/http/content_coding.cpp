#include "content_coding.hpp"

#include <zlib.h>

#include <algorithm>
#include <vector>

#include "ascii_text.hpp"

namespace swarmlet::http {
namespace {

enum class coding { identity, gzip, deflate, unknown };

coding coding_of(std::string_view name) {
  const std::string lower = ascii_lowercase(name);
  if (lower.empty() || lower == "identity") return coding::identity;
  if (lower == "gzip" || lower == "x-gzip") return coding::gzip;
  if (lower == "deflate") return coding::deflate;
  return coding::unknown;
}

/// One inflate of `in` with zlib's `window_bits` (gzip: 31; zlib: 15; raw deflate: -15).
/// gzip members one after another (as `cat a.gz b.gz` makes) are one body, as gunzip reads it;
/// bytes after a member that give no text as another member (zeros a server padded with) are
/// left, as gunzip and urllib3 (Locust's requests) leave them. `malformed` (if given) says whether
/// it failed as data zlib could not read in that format.
decoded_body inflate_all(std::string_view in, int window_bits, std::size_t limit, const char* name,
                         bool* malformed = nullptr) {
  decoded_body out;
  z_stream z{};
  if (inflateInit2(&z, window_bits) != Z_OK) {
    out.error = std::string("cannot decode the ") + name + " body: zlib would not start";
    return out;
  }
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  char chunk[16384];
  std::size_t members_end = 0;  // of the body: where the last whole gzip member's output ended
  bool in_later_member = false;
  for (;;) {
    z.next_out = reinterpret_cast<Bytef*>(chunk);
    z.avail_out = sizeof chunk;
    const int rc = inflate(&z, Z_NO_FLUSH);
    const std::size_t got = sizeof chunk - z.avail_out;
    if (out.body.size() + got > limit) {
      out.error = std::string("the ") + name + " body decodes to over " +
                  std::to_string(limit >> 20) + " MiB, the most kept";
      break;
    }
    out.body.append(chunk, got);
    if (rc == Z_STREAM_END) {
      if (z.avail_in == 0 || window_bits != 31) break;
      inflateReset(&z);  // another gzip member
      members_end = out.body.size();
      in_later_member = true;
      continue;
    }
    if (in_later_member && rc != Z_OK && out.body.size() == members_end) break;  // trailing
    if (rc == Z_BUF_ERROR && z.avail_in == 0) {
      out.error = std::string("the ") + name + " body is cut short";
      break;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      if (malformed != nullptr) *malformed = true;
      out.error = std::string("the ") + name + " body does not decode (" +
                  (z.msg != nullptr ? z.msg : "zlib error " + std::to_string(rc)) + ")";
      break;
    }
  }
  inflateEnd(&z);
  if (!out.error.empty()) out.body.clear();
  return out;
}

}  // namespace

std::optional<decoded_body> decode_content(const header_list& headers, std::string_view body,
                                           std::size_t limit) {
  std::vector<coding> applied;  // in the order the server applied them
  for (const auto& [name, value] : headers.fields()) {
    if (!equals_ignoring_case(name, "content-encoding")) continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      const coding c = coding_of(without_spaces_around(rest.substr(0, comma)));
      if (c == coding::unknown) return std::nullopt;  // br, zstd: left as it came
      if (c != coding::identity) applied.push_back(c);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  if (applied.empty()) return std::nullopt;
  decoded_body out;
  out.body.assign(body);
  for (auto it = applied.rbegin(); it != applied.rend(); ++it) {
    std::string in = std::move(out.body);
    if (*it == coding::gzip) {
      out = inflate_all(in, 31, limit, "gzip");
    } else {
      // RFC 9110's deflate is zlib-wrapped; some servers send it raw, as browsers accept.
      bool not_zlib = false;
      out = inflate_all(in, 15, limit, "deflate", &not_zlib);
      if (not_zlib) out = inflate_all(in, -15, limit, "deflate");
    }
    if (!out.error.empty()) return out;
  }
  return out;
}

}  // namespace swarmlet::http
