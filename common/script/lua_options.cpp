#include "lua_options.hpp"

#include <utility>

namespace swarmlet::script {

std::string text_at(lua_State* L, int index, const char* what) {
  if (lua_type(L, index) != LUA_TSTRING && lua_type(L, index) != LUA_TNUMBER)
    luaL_error(L, "%s must be a string or a number, got %s", what, luaL_typename(L, index));
  std::size_t len = 0;
  const char* s = lua_tolstring(L, index, &len);
  return std::string(s, len);
}

void add_header_table(lua_State* L, http::header_list& headers) {
  if (lua_isnil(L, -1)) return;
  luaL_checktype(L, -1, LUA_TTABLE);
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_pushvalue(L, -2);
    std::string key = text_at(L, -1, "a header name");
    std::string value = text_at(L, -2, "a header value");
    lua_pop(L, 2);
    headers.add(std::move(key), std::move(value));
  }
}

}  // namespace swarmlet::script
