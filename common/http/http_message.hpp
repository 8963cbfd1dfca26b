#pragma once
// HTTP/1.1 messages as the client and the small server see them.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/http/ascii_text.hpp"

namespace swarmlet::http {

/// The most of a body swarmlet keeps (of a response, for checks, captures and scripts; of a
/// request, on its own servers): beyond it the exchange fails, where a multi-gigabyte body
/// used to end in bad_alloc and a request that vanished from the report.
inline constexpr std::size_t max_kept_body = std::size_t{64} << 20;
inline constexpr const char* body_too_large_message =
    "response body over 64 MiB, the most kept for checks, captures and scripts";

/// The most of a response's header fields swarmlet takes, as HTTP/2 counts them (each field's
/// name and value and 32 octets): HTTP/1.1's limit (http-parser's 80 KiB for a header block),
/// told to HTTP/2 servers in SETTINGS_MAX_HEADER_LIST_SIZE.
inline constexpr std::size_t max_header_list = 80 * 1024;
inline constexpr const char* header_list_too_large_message =
    "bad HTTP/2 response: its header fields passed 80 KiB (SETTINGS_MAX_HEADER_LIST_SIZE)";

/// Header fields in arrival order; names compared without regard to case.
class header_list {
 public:
  void add(std::string name, std::string value) {
    fields_.emplace_back(std::move(name), std::move(value));
  }
  /// The first value of `name`, if present.
  std::optional<std::string_view> get(std::string_view name) const {
    for (const auto& [n, v] : fields_)
      if (equals_ignoring_case(n, name)) return std::string_view(v);
    return std::nullopt;
  }
  /// The value of header `name` in a message: every field of that name, in arrival order,
  /// joined with ", " (RFC 9110 5.3's combined value; Set-Cookie too), as Python's requests and
  /// k6 give a repeated header. What YAML checks and captures and a script's r.headers see.
  std::optional<std::string> combined(std::string_view name) const;
  bool has(std::string_view name) const { return get(name).has_value(); }
  const std::vector<std::pair<std::string, std::string>>& fields() const noexcept {
    return fields_;
  }
  void clear() noexcept { fields_.clear(); }
  /// Removes every field named `name`.
  void remove(std::string_view name) {
    std::erase_if(fields_, [name](const auto& f) { return equals_ignoring_case(f.first, name); });
  }

  /// Room for `n` fields without growing (a response's usual few, parsed one at a time).
  void reserve(std::size_t n) { fields_.reserve(n); }
  /// A new field at the end, empty, for a parser to fill in place as its name and value come
  /// in pieces: no copy of either afterwards.
  std::pair<std::string, std::string>& start_field() { return fields_.emplace_back(); }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

struct request {
  std::string method = "GET";
  /// Path and query, as sent on the request line; to a client, also an absolute URL.
  std::string target = "/";
  header_list headers;
  std::string body;
  /// This request's timeout, in place of the client's (client_options::read_timeout): a
  /// script's `timeout =` for one slow endpoint, longer or shorter.
  std::optional<std::chrono::milliseconds> timeout;
};

struct response {
  int status = 0;
  header_list headers;
  std::string body;              ///< empty when the client was told to discard bodies
  std::uint64_t body_bytes = 0;  ///< counted even when discarded
};

/// The standard reason phrase of `status` ("OK", "Not Found", ...), or "Unknown".
std::string_view reason_phrase(int status) noexcept;

}  // namespace swarmlet::http
