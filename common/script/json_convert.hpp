#pragma once
// Lua values to JSON and back (nlohmann::json), for opts.json, r:json() and setup's data.
// A table whose keys are exactly 1..n is an array; any other table is an object (an empty
// table encodes as {}). JSON null becomes nil.
#include <cstddef>
#include <lua.hpp>
#include <nlohmann/json.hpp>

namespace swarmlet::script {

/// How much one value may make in all. A table may hold another many times over (t = {t, t},
/// 60 deep, is 2^60 values): the depth alone let such a value run in C, past the run limit and
/// every stop, as its memory grew.
struct json_bounds {
  std::size_t values = 1'000'000;
  std::size_t string_bytes = std::size_t{64} << 20;
};

/// The value at `index` as JSON; throws std::invalid_argument for functions, userdata,
/// threads, cycles (deeper than 100 levels), non-string, non-integer keys, and more than
/// `bounds` allow.
nlohmann::json to_json(lua_State* L, int index, json_bounds bounds = {});
/// Pushes `j` as a Lua value.
void push_json(lua_State* L, const nlohmann::json& j);

}  // namespace swarmlet::script
