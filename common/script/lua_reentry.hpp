#pragma once
// Lua entered again from C, inside a script's call: pcall, sw.measure, sw.timeout, sw.log's
// tostring, string.gsub's replacement function, table.sort's comparator, coroutine.resume. Each
// such level takes the green thread's own (small) C stack, and gsub's takes 8 KiB: 30 nested
// gsubs faulted on the guard page, taking the worker down with every stat it held. LuaJIT
// bounds these levels for an OS thread's megabytes, not a green thread's 256 KiB; the check
// here bounds them by the stack that runs them (a green thread's, the hub loop's, an OS
// thread's).
#include <lua.hpp>
#include <string>

namespace swarmlet::script {

/// Raises a Lua error when the running stack is too near its end for another level of Lua
/// called from C (and the error's own handling); else returns.
void check_c_stack(lua_State* L);

/// Wraps string.gsub, string.format, table.sort, load, loadstring, require, print,
/// coroutine.resume and
/// coroutine.wrap in the state's libraries (each may call Lua back): each checks the stack first; a
/// resume also refuses a green thread's own Lua thread (a user's, a spawned one's: resumed as a
/// coroutine after it ended, it ran a handler whose object was gone) and lets a stop and a kill
/// through, as pcall does. Lua's own coroutine.wrap called resume inside, unchecked.
void guard_reentrant_library(lua_State* L);

/// Marks the Lua thread on top of `L`'s stack as one a green thread runs (stack unchanged).
void mark_green_thread(lua_State* L);

/// "file:line: " of the first frame at or above `level` that is the script's, "" when none: a
/// tail call leaves no frame, and the wrappers guard_reentrant_library made are skipped (their
/// lines mean nothing to the script's author).
std::string script_position(lua_State* L, int level);

}  // namespace swarmlet::script
