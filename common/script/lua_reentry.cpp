#include "lua_reentry.hpp"

#include <cstddef>
#include <cstring>
#include <string>

#include "common/green/operations.hpp"
#include "engine.hpp"
#include "swarmlet_module.hpp"

namespace swarmlet::script {
namespace {

// Room kept for the level's own frames, the error's message handler (a traceback) and the
// unwinding that carries it: what an error raised this near the end still needs.
constexpr std::size_t stack_reserve = 64 * 1024;

/// Keys (by its address) the registry's weak-keyed set of green threads' Lua threads.
char green_threads_key = 0;

void push_green_threads(lua_State* L) {
  lua_pushlightuserdata(L, &green_threads_key);
  lua_rawget(L, LUA_REGISTRYINDEX);
  if (lua_istable(L, -1)) return;
  lua_pop(L, 1);
  lua_newtable(L);
  lua_createtable(L, 0, 1);
  lua_pushliteral(L, "k");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_pushlightuserdata(L, &green_threads_key);
  lua_pushvalue(L, -2);
  lua_rawset(L, LUA_REGISTRYINDEX);
}

bool is_green_thread(lua_State* L, int index) {
  push_green_threads(L);
  lua_pushvalue(L, index);
  lua_rawget(L, -2);
  const bool marked = lua_toboolean(L, -1) != 0;
  lua_pop(L, 2);
  return marked;
}

// The chunk of the wrappers below: an error names the script's line, not theirs.
constexpr const char* wrappers_chunk = "=swarmlet";

/// As luaL_where(L, level), by script_position.
void where_in_script(lua_State* L, int level) {
  const std::string where = script_position(L, level);
  lua_pushlstring(L, where.data(), where.size());
}

void raise_stack_overflow(lua_State* L, int level) {
  where_in_script(L, level);
  lua_pushliteral(L,
                  "stack overflow: calls nested too deep for a green thread's stack (through "
                  "pcall, sw.measure, sw.timeout, a gsub or sort function, or coroutines)");
  lua_concat(L, 2);
  lua_error(L);
}

/// check(): from the wrappers below (level 2 is their caller, the script).
int l_check(lua_State* L) {
  if (green::stack_left() < stack_reserve) raise_stack_overflow(L, 2);
  return 0;
}

/// check_resume(co): as check(), and refuses a green thread's own Lua thread.
int l_check_resume(lua_State* L) {
  if (lua_type(L, 1) == LUA_TTHREAD && is_green_thread(L, 1)) {
    where_in_script(L, 2);
    lua_pushliteral(L,
                    "coroutine.resume: this is a green thread's own Lua thread (a user's, or "
                    "sw.spawn's), not a coroutine");
    lua_concat(L, 2);
    return lua_error(L);
  }
  return l_check(L);
}

/// print: it calls tostring, so a __tostring, from C.
int l_checked_print(lua_State* L) {
  check_c_stack(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 0);
  return 0;
}

/// pass(ok, ...): resume's results, unless the coroutine ended on a stop or a kill, which goes
/// on up as through pcall.
int l_pass(lua_State* L) {
  if (lua_gettop(L) >= 2 && lua_toboolean(L, 1) == 0) {
    lua_pushvalue(L, 2);
    pass_stops_through(L);
    lua_pop(L, 1);
  }
  return lua_gettop(L);
}

// In Lua, so that the library function is tail-called: an error it raises names it and the
// script's line ("x.lua:3: bad argument #1 to 'gsub'"), and a traceback keeps the frames of a
// replacement function or a comparator that raised.
constexpr const char* wrappers = R"lua(
local check, check_resume, pass = ...
local gsub, format, sort, create, resume = string.gsub, string.format, table.sort,
  coroutine.create, coroutine.resume
local load, loadstring, require, type, error = load, loadstring, require, type, error
string.gsub = function(...) check() return gsub(...) end
string.format = function(...) check() return format(...) end  -- a __tostring for %s
table.sort = function(...) check() return sort(...) end
_G.load = function(...) check() return load(...) end  -- a reader function
_G.loadstring = function(...) check() return loadstring(...) end  -- LuaJIT's takes one too
_G.require = function(...) check() return require(...) end  -- a loader the script set
coroutine.resume = function(co, ...)
  if type(co) ~= "thread" then error("bad argument #1 to 'resume' (coroutine expected)", 2) end
  check_resume(co)
  return pass(resume(co, ...))
end
local function unwrap(ok, ...)
  if ok then return ... end
  local e = ...
  -- As Lua's: the caller's line before a message that has none ("cannot resume dead
  -- coroutine"); tail-called, level 2 is the script's.
  if type(e) == "string" and not e:find("^[^:]+:%d+: ") then error(e, 2) end
  error(e, 0)
end
coroutine.wrap = function(f)
  if type(f) ~= "function" then error("bad argument #1 to 'wrap' (function expected)", 2) end
  local co = create(f)
  return function(...) check() return unwrap(pass(resume(co, ...))) end
end
)lua";

}  // namespace

void check_c_stack(lua_State* L) {
  if (green::stack_left() < stack_reserve) raise_stack_overflow(L, 1);
}

void guard_reentrant_library(lua_State* L) {
  if (luaL_loadbuffer(L, wrappers, std::strlen(wrappers), wrappers_chunk) != 0) lua_error(L);
  lua_pushcfunction(L, l_check);
  lua_pushcfunction(L, l_check_resume);
  lua_pushcfunction(L, l_pass);
  lua_call(L, 3, 0);
  // In C: a class may name print as a task, and a C function is checked as one.
  lua_getglobal(L, "print");
  lua_pushcclosure(L, l_checked_print, 1);
  lua_setglobal(L, "print");
}

std::string script_position(lua_State* L, int level) {
  lua_Debug ar;
  for (; lua_getstack(L, level, &ar) != 0; ++level) {
    if (lua_getinfo(L, "Sl", &ar) == 0 || ar.currentline <= 0) continue;
    if (ar.source != nullptr && std::strcmp(ar.source, wrappers_chunk) == 0) continue;
    return std::string(ar.short_src) + ":" + std::to_string(ar.currentline) + ": ";
  }
  return {};
}

void mark_green_thread(lua_State* L) {
  push_green_threads(L);
  lua_pushvalue(L, -2);
  lua_pushboolean(L, 1);
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

}  // namespace swarmlet::script
