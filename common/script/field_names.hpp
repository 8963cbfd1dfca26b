#pragma once
// Whether a name a script gave is one swarmlet reads, mistyped: a class's `on_strat`, a task's
// `wieght`, main.lua's `tearDown`. Such a field would be ignored (on_stop or teardown never
// running), so the loaders refuse it with "did you mean ...?". Near names that are likely the
// script's own (`want`, `names`, `height`) are not matched.
#include <initializer_list>
#include <lua.hpp>
#include <string>
#include <string_view>

namespace swarmlet::script {

/// Whether `key` is `field` with two neighbouring letters swapped (`on_strat`), one letter left
/// out (`task`, `on_stp`), or written in another case or with other underscores (`onStart`,
/// `tearDown`, `set_up`); never `field` itself.
bool mistyped(std::string_view key, std::string_view field);

/// Raises "FILE:LINE: WHAT 'key': did you mean 'field'?" for the first string key of the table
/// at `table` mistyped from one of `fields` (WHAT: "the class has a field", "it defines a
/// global"). LINE is where the key's value starts when it is a Lua function (`on_strat =
/// function(u)`), else `line` (a task's: where its fn starts); without either, "FILE: ...". The
/// table may hold other keys of the script's own.
void refuse_mistyped_keys(lua_State* L, int table, const std::string& file, const char* what,
                          std::initializer_list<std::string_view> fields, int line = 0);

/// The line where the Lua function at `index` starts; 0 for any other value (a C function too).
int line_defined(lua_State* L, int index);

/// "FILE:LINE" for a line above 0, else "FILE": where an error of a script's class is.
std::string file_and_line(const std::string& file, int line);

}  // namespace swarmlet::script
