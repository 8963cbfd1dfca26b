#pragma once
// Lua values to JSON and back (nlohmann::json), for opts.json, r:json() and setup's data.
// A table whose keys are exactly 1..n is an array; any other table is an object (an empty
// table encodes as {}). JSON null becomes nil.
#include <lua.hpp>
#include <nlohmann/json.hpp>

namespace swarmlet::script {

/// The value at `index` as JSON; throws std::invalid_argument for functions, userdata,
/// threads, cycles (deeper than 100 levels), non-string, non-integer keys, and more than
/// 1,000,000 values or 64 MiB of strings in all.
nlohmann::json to_json(lua_State* L, int index);
/// Pushes `j` as a Lua value.
void push_json(lua_State* L, const nlohmann::json& j);

}  // namespace swarmlet::script
