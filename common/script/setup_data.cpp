#include "setup_data.hpp"

#include <nlohmann/json.hpp>

#include "json_convert.hpp"

namespace swarmlet::script {

std::string encode_setup_data(lua_State* L, int index) {
  // Bounded well past what the wire takes (proto/setup_data_limit.hpp: 16 MiB of msgpack, each
  // value a byte at least), not as a request's JSON: the wire's own check after says by how much
  // a value is over; this only stops one that would not end (a table held many times over).
  constexpr std::size_t past_the_wire = std::size_t{32} << 20;
  const std::vector<std::uint8_t> bytes =
      nlohmann::json::to_msgpack(to_json(L, index, json_bounds{past_the_wire, past_the_wire}));
  return std::string(bytes.begin(), bytes.end());
}

bool push_setup_data(lua_State* L, const std::string& msgpack) {
  if (msgpack.empty()) {
    lua_pushnil(L);
    return true;
  }
  // The codec let through only msgpack of bounded depth (proto/codec.cpp), so this parse
  // cannot recurse without end; it still refuses anything that is not one whole value.
  const nlohmann::json value = nlohmann::json::from_msgpack(msgpack, true, false);
  if (value.is_discarded()) return false;
  push_json(L, value);
  return true;
}

}  // namespace swarmlet::script
