#include "lua_options.hpp"

#include <algorithm>
#include <utility>

namespace swarmlet::script {

void check_option_keys(lua_State* L, int table, const char* what,
                       std::initializer_list<std::string_view> known) {
  if (table < 0) table = lua_gettop(L) + table + 1;
  lua_pushnil(L);
  while (lua_next(L, table) != 0) {
    lua_pop(L, 1);
    const bool text = lua_type(L, -1) == LUA_TSTRING;
    const std::string_view key = text ? lua_tostring(L, -1) : std::string_view();
    if (text && std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string list;
    for (const auto k : known) (list += list.empty() ? "" : ", ") += k;
    const std::string shown = text ? "'" + std::string(key) + "'" : luaL_typename(L, -1);
    luaL_error(L, "unknown option %s of %s (known: %s)", shown.c_str(), what, list.c_str());
  }
}

std::string text_at(lua_State* L, int index, const char* what) {
  if (lua_type(L, index) != LUA_TSTRING && lua_type(L, index) != LUA_TNUMBER)
    luaL_error(L, "%s must be a string or a number, got %s", what, luaL_typename(L, index));
  std::size_t len = 0;
  const char* s = lua_tolstring(L, index, &len);
  return std::string(s, len);
}

void add_header_table(lua_State* L, http::header_list& headers) {
  if (lua_isnil(L, -1)) return;
  if (!lua_istable(L, -1))
    luaL_error(L, "headers must be a table of {Name = value}, got %s", luaL_typename(L, -1));
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    // {"X-A: 1"} (a list) made a header named "1": headers are {Name = value}.
    if (lua_type(L, -2) != LUA_TSTRING)
      luaL_error(L, "headers are a table of {Name = value}, not a list (a key was a %s)",
                 luaL_typename(L, -2));
    lua_pushvalue(L, -2);
    std::string key = text_at(L, -1, "a header name");
    std::string value = text_at(L, -2, "a header value");
    lua_pop(L, 2);
    headers.add(std::move(key), std::move(value));
  }
}

}  // namespace swarmlet::script
