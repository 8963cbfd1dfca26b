#pragma once
// A user class as a script file returns it (Locust's User class, in Lua):
//   { on_start = fn(u)?, on_stop = fn(u)?, wait = seconds | fn(u) -> seconds ?,
//     tasks = { fn(u) | {fn = fn(u), weight = n?, name = "..."?}, ... } }
// checked once, when it is loaded, so that a bad class is found before any user runs.
#include <string>
#include <vector>

#include "engine.hpp"

namespace swarmlet::script {

struct user_class {
  struct task {
    int fn = LUA_NOREF;  ///< registry ref
    int weight = 1;
    std::string name;  ///< stats name of its errors: `name` or "file:line" of the function
  };
  std::string file;
  int table = LUA_NOREF;
  int on_start = LUA_NOREF;
  int on_stop = LUA_NOREF;
  int wait = LUA_NOREF;  ///< a number of seconds or a function of u
  std::vector<task> tasks;
};

/// Runs `file` in `e` (as require does) and checks what it returns. Throws script_error
/// naming the file: "poller.lua: tasks must be a non-empty list ...", or Lua's own
/// "poller.lua:12: ..." for a syntax or runtime error.
user_class load_user_class(engine& e, const std::string& file);

}  // namespace swarmlet::script
