// libFuzzer target: the client's HTTP response parser, fed as a server might send: in chunks of
// any size, pipelined, then the connection closed. It must consume only what it is given, end
// each message or fail with a reason, and never crash or hang.
// Input: one byte of options (bit 0: the answer to a HEAD; bit 1: keep bodies; bits 2-7: chunk
// size - 1), then the bytes from the server.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "common/http/message_parser.hpp"

namespace h = swarmlet::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool head = data[0] & 1;
  const bool keep_body = data[0] & 2;
  const std::size_t chunk = 1 + (data[0] >> 2);
  const char* in = reinterpret_cast<const char*>(data + 1);
  size -= 1;

  h::message_parser parser(h::message_parser::kind::response);
  parser.start(head, keep_body);
  std::size_t at = 0;
  while (at < size && !parser.failed()) {
    const std::size_t offered = std::min(chunk, size - at);
    const std::size_t used = parser.feed(in + at, offered);
    if (used > offered) __builtin_trap();
    at += used;
    if (parser.complete()) {
      const auto& r = parser.response();
      if (!keep_body && !r.body.empty()) __builtin_trap();
      if (keep_body && r.body.size() != r.body_bytes) __builtin_trap();
      parser.start(head, keep_body);  // the next pipelined response
    } else if (used < offered && !parser.failed()) {
      __builtin_trap();  // stopped early without a message or a reason: the client would hang
    }
  }
  if (!parser.failed()) parser.finish();
  if (!parser.complete() && !parser.failed()) __builtin_trap();
  return 0;
}
