// libFuzzer target: the protocol decoder must turn any bytes into a message or a decode_error,
// never a crash, a hang, a leak or an exception; and so must the master's in-place reader of
// stats frames (stats_frame), whose rows must add up to what they claim.
#include <cstddef>
#include <cstdint>

#include "proto/codec.hpp"
#include "proto/stats_frame.hpp"

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
  swarmlet::proto::stats_frame frame;
  if (!frame.read(std::string(reinterpret_cast<const char*>(data), size))) {
    // Read sound: every row's histogram holds its requests, within the buckets' range.
    for (const auto& row : frame.rows) {
      swarmlet::stats::request_stats s;
      frame.add_to(s, row.stats);
      if (s.histogram.count() != row.stats.requests || s.service.count() > s.requests)
        __builtin_trap();
    }
    std::string error;
    if (auto report = frame.self_contained(error)) {
      swarmlet::proto::report_names names;
      swarmlet::proto::stats_frame again;
      if (again.read(swarmlet::proto::encode_stats(report->worker_id, *report, names)) ||
          again.requests() != report->delta.all_rows().requests)
        __builtin_trap();
    }
  }
  return 0;
}
