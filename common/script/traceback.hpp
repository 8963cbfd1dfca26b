#pragma once
// The call stack of a failing script as the exceptions report shows it: Lua's own
// "stack traceback:" text (luaL_traceback's layout), of the user's frames only.
#include <lua.hpp>
#include <string>

namespace swarmlet::script {

/// The frames of `L` from `level` outward (innermost first), one "\n\tfile:line: in function
/// 'name'" line each, after "stack traceback:". The C functions at the top of the stack are left
/// out: they are the one that raised (error, assert, a swarmlet call), which the message names
/// already. Long stacks keep their first 10 and last 11 frames, as Lua does. Empty when no Lua
/// frame is left. Allocates on the C++ heap only; never raises a Lua error.
std::string traceback(lua_State* L, int level);

}  // namespace swarmlet::script
