#pragma once
// C++ objects living in Lua userdata: made with placement new, destroyed by __gc, each type
// with its own metatable (registered once per state under `Name`).
#include <lua.hpp>
#include <new>
#include <utility>

namespace swarmlet::script {

template <class T>
int destroy_udata(lua_State* L) {
  static_cast<T*>(lua_touserdata(L, 1))->~T();
  return 0;
}

/// Hides the metatable at `index` from the script: getmetatable() says `name`, setmetatable()
/// refuses. Its __gc called by hand destroyed the object twice (once more when collected), and
/// its methods are shared by every user of the hub thread.
inline void hide_metatable(lua_State* L, int index, const char* name) {
  lua_pushstring(L, name);
  lua_setfield(L, index < 0 ? index - 1 : index, "__metatable");
}

/// Makes (once) the metatable `name` for T with `methods` (null-terminated) as __index, and a
/// __gc that destroys the object, hidden from the script. Leaves nothing on the stack.
template <class T>
void register_udata(lua_State* L, const char* name, const luaL_Reg* methods) {
  if (luaL_newmetatable(L, name) != 0) {
    hide_metatable(L, -1, name);
    lua_pushcfunction(L, destroy_udata<T>);
    lua_setfield(L, -2, "__gc");
    lua_newtable(L);
    luaL_register(L, nullptr, methods);
    lua_setfield(L, -2, "__index");
  }
  lua_pop(L, 1);
}

/// Pushes a new T made from `args`, with the metatable `name` (which must be registered).
template <class T, class... A>
T* push_udata(lua_State* L, const char* name, A&&... args) {
  void* block = lua_newuserdata(L, sizeof(T));
  T* object = new (block) T(std::forward<A>(args)...);
  luaL_getmetatable(L, name);
  lua_setmetatable(L, -2);
  return object;
}

/// The T at `index`, or a Lua error naming the expected type.
template <class T>
T* check_udata(lua_State* L, int index, const char* name) {
  return static_cast<T*>(luaL_checkudata(L, index, name));
}

}  // namespace swarmlet::script
