#include "setup_data_limit.hpp"

#include <msgpack.hpp>

namespace swarmlet::proto {

std::optional<std::string> setup_data_problem(const std::string& msgpack) {
  if (msgpack.empty()) return std::nullopt;
  if (msgpack.size() > max_setup_data_bytes)
    return std::to_string(msgpack.size()) + " bytes as msgpack, over the limit of " +
           std::to_string(max_setup_data_bytes) + " (16 MiB)";
  try {
    std::size_t used = 0;
    const msgpack::unpack_limit limit(max_setup_data_elements, max_setup_data_elements,
                                      max_setup_data_bytes, max_setup_data_bytes, 0,
                                      max_setup_data_depth);
    msgpack::unpack(msgpack.data(), msgpack.size(), used, nullptr, nullptr, limit);
    if (used != msgpack.size()) return std::string("more than one msgpack value");
  } catch (const msgpack::array_size_overflow&) {
    return "a list of more than " + std::to_string(max_setup_data_elements) + " items";
  } catch (const msgpack::map_size_overflow&) {
    return "a table of more than " + std::to_string(max_setup_data_elements) + " keys";
  } catch (const msgpack::depth_size_overflow&) {
    return "tables nested more than " + std::to_string(max_setup_data_depth) + " deep";
  } catch (const msgpack::unpack_error& e) {
    return std::string("not a msgpack value: ") + e.what();
  }
  return std::nullopt;
}

}  // namespace swarmlet::proto
