#include "setup_data.hpp"

#include <nlohmann/json.hpp>

#include "json_convert.hpp"

namespace swarmlet::script {

std::string encode_setup_data(lua_State* L, int index) {
  const std::vector<std::uint8_t> bytes = nlohmann::json::to_msgpack(to_json(L, index));
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
