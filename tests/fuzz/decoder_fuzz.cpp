// libFuzzer target: the protocol decoder must turn any bytes into a message or a decode_error,
// never a crash, a hang, a leak or an exception.
#include <cstddef>
#include <cstdint>

#include "proto/codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto result = swarmlet::proto::decode(data, size);
  if (auto* m = std::get_if<swarmlet::proto::message>(&result)) {
    // A decoded message must encode again and decode to the same type.
    const std::string again = swarmlet::proto::encode(*m);
    auto back = swarmlet::proto::decode(again.data(), again.size());
    if (!std::holds_alternative<swarmlet::proto::message>(back) ||
        std::get<swarmlet::proto::message>(back).type != m->type)
      __builtin_trap();
  }
  return 0;
}
