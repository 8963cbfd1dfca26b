#include "lua_seconds.hpp"

#include <chrono>
#include <cmath>

namespace swarmlet::script {

green::duration seconds(lua_Number s) {
  if (!(s > 0)) return green::duration::zero();
  constexpr lua_Number longest = 1e9;
  return std::chrono::duration_cast<green::duration>(
      std::chrono::duration<double>(s < longest ? s : longest));
}

green::duration wait_seconds_at(lua_State* L, int index, const char* function, const char* param) {
  // lua_isnumber would take "0.5" too (Lua's own coercion): a duration is a number wherever a
  // script gives one, as a class's wait and opts.timeout always took it.
  if (lua_type(L, index) != LUA_TNUMBER)
    luaL_error(L, "%s: %s must be a number of seconds, got %s", function, param,
               luaL_typename(L, index));
  const lua_Number s = lua_tonumber(L, index);
  // NaN compares false with everything: a sleep returned at once, sw.timeout expired at once.
  if (std::isnan(s)) luaL_error(L, "%s: %s must be a number of seconds, got NaN", function, param);
  return seconds(s);
}

green::duration limit_seconds_at(lua_State* L, int index, const char* what) {
  if (lua_type(L, index) != LUA_TNUMBER)
    luaL_error(L, "%s must be seconds above 0, got %s", what, luaL_typename(L, index));
  const lua_Number s = lua_tonumber(L, index);
  if (std::isnan(s)) luaL_error(L, "%s must be seconds above 0, got NaN", what);
  if (!(s > 0)) luaL_error(L, "%s must be seconds above 0, got %f", what, s);
  return seconds(s);
}

}  // namespace swarmlet::script
