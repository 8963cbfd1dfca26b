#pragma once
// Values read from a script's option tables (u.http's and u.ws's `opts`): text that may be
// given as a number, and a headers table. Bad values are Lua errors naming what was wrong.
#include <lua.hpp>
#include <string>

#include "common/http/http_message.hpp"

namespace swarmlet::script {

/// The string or number at `index` as text; a Lua error naming `what` otherwise.
std::string text_at(lua_State* L, int index, const char* what);
/// Adds the {name = value} table at the top of the stack (nil: nothing) to `headers`.
void add_header_table(lua_State* L, http::header_list& headers);

}  // namespace swarmlet::script
