#pragma once
// A response body sent compressed (Content-Encoding: gzip or deflate) made readable for checks,
// captures and scripts, as k6 and Python's requests decode it: a test that sends the
// Accept-Encoding a browser sends got gzip bytes, and a JSON check said "body is not JSON".
// Only kept bodies are decoded (a body counted and not kept costs nothing); the bytes counted
// stay those on the wire. Pure: no I/O.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "http_message.hpp"

namespace swarmlet::http {

/// What decoding a body gave: the body, or why it could not be decoded.
struct decoded_body {
  std::string body;
  std::string error;  ///< empty: decoded
};

/// `body` decoded as `headers`' Content-Encoding says (gzip, x-gzip, deflate; several, in the
/// order applied), at most `limit` bytes of it (a small body may unpack to gigabytes: past it,
/// an error). Nothing when there is nothing to decode (no coding, identity) or a coding this
/// does not know (br, zstd): the body is left as it came.
std::optional<decoded_body> decode_content(const header_list& headers, std::string_view body,
                                           std::size_t limit = max_kept_body);

}  // namespace swarmlet::http
