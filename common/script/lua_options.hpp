#pragma once
// Values read from a script's option tables (u.http's and u.ws's `opts`): text that may be
// given as a number, and a headers table. Bad values are Lua errors naming what was wrong.
#include <initializer_list>
#include <lua.hpp>
#include <string>
#include <string_view>

#include "common/http/http_message.hpp"

namespace swarmlet::script {

/// Raises a Lua error for a key of the options table at `table` that is not among `known` (a
/// typo such as `nmae = "x"` was ignored, and the request went out under another name):
/// "unknown option 'nmae' of u.http requests (known: ...)".
void check_option_keys(lua_State* L, int table, const char* what,
                       std::initializer_list<std::string_view> known);

/// The string or number at `index` as text; a Lua error naming `what` otherwise.
std::string text_at(lua_State* L, int index, const char* what);
/// Adds the {name = value} table at the top of the stack (nil: nothing) to `headers`.
void add_header_table(lua_State* L, http::header_list& headers);

}  // namespace swarmlet::script
