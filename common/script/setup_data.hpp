#pragma once
// setup()'s value on its way from main.lua on the master to every user (u.setup): msgpack, as
// the spawn commands carry it. What JSON can hold travels (strings, numbers, booleans, tables
// of them); a table whose keys are exactly 1..n arrives as a list, any other as a map with
// string keys (see json_convert.hpp).
#include <lua.hpp>
#include <string>

namespace swarmlet::script {

/// msgpack of the value at `index` of `L`. Throws std::invalid_argument saying what cannot
/// travel (a function, userdata, a thread, a cycle).
std::string encode_setup_data(lua_State* L, int index);

/// Pushes the value `msgpack` holds (nil for empty bytes); false, with nothing pushed, when
/// the bytes are not one value encode_setup_data could have made. May raise Lua errors
/// (memory): call it in protected mode.
bool push_setup_data(lua_State* L, const std::string& msgpack);

}  // namespace swarmlet::script
