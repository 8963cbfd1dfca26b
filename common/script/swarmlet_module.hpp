#pragma once
// The `swarmlet` module scripts `require`: eventlet's green API in Lua (green_api.cpp), green
// TCP sockets (tcp_api.cpp), measuring and recording, and small helpers; u.http is in
// http_api.hpp.
#include <lua.hpp>

namespace swarmlet::script {

/// package.preload's loader for "swarmlet": returns the module table.
int open_swarmlet_module(lua_State* L);

// Each adds its functions to the table on top of the stack (and registers its types).
void add_green_api(lua_State* L);
void add_tcp_api(lua_State* L);

/// The error object sw.stop_user() raises: the runner ends the task quietly, not as a failure.
void push_stop_sentinel(lua_State* L);
bool is_stop_sentinel(lua_State* L, int index);

/// Replaces the globals pcall and xpcall with ones that let the stop sentinel and a kill through:
/// a task that wraps its requests in pcall spun on the sentinel after a stop, holding its hub
/// thread until the runaway guard cut it.
void replace_protected_calls(lua_State* L);
/// After a protected call failed with the error on top: raises it again when it is the stop
/// sentinel, the user is stopping, or the thread is being killed; else returns.
void pass_stops_through(lua_State* L);
/// A timeout_error from `source` reached the script: when it is no sw.timeout of the script's
/// (on_stop's bound), marks the thread so that no protected call swallows it.
void note_runner_timeout(lua_State* L, const void* source);

/// Whether the user of the running code is stopping and not in its on_stop: then a request it
/// is about to make or a sleep ends its task quietly instead, as a YAML user stops after the
/// request in flight.
bool user_is_stopping(lua_State* L);
/// Raises the stop sentinel when user_is_stopping(L); else returns. Call it before anything
/// that needs unwinding is made.
void end_task_if_stopping(lua_State* L);

}  // namespace swarmlet::script
