#include "user_class.hpp"

#include <string_view>

#include "field_names.hpp"

namespace swarmlet::script {
namespace {

constexpr const char* task_shape = "{fn = function, weight = n, name = '...'}";

struct check_args {
  user_class* out;
};

/// Keeps the value at `index` if it is a function (or nil); else raises naming `field`.
int optional_function(lua_State* L, const user_class& c, int index, const char* field) {
  if (lua_isnil(L, index)) return LUA_NOREF;
  if (!lua_isfunction(L, index))
    luaL_error(L, "%s: %s must be a function, got %s", c.file.c_str(), field,
               luaL_typename(L, index));
  lua_pushvalue(L, index);
  return luaL_ref(L, LUA_REGISTRYINDEX);
}

/// A task table is swarmlet's alone: a field it does not read would be ignored. Locust's tasks
/// carry tags (@tag), but --tags and --exclude-tags choose among a scenario's users before any
/// script loads, so a Lua task's tags could select nothing: they are refused with where tags go.
void refuse_unknown_task_fields(lua_State* L, const std::string& where, int task, int index) {
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    lua_pop(L, 1);  // the value
    if (lua_type(L, -1) != LUA_TSTRING) {
      luaL_error(L, "%s: task %d has a %s key (a task is %s)", where.c_str(), task,
                 luaL_typename(L, -1), task_shape);
      return;
    }
    const std::string_view key = lua_tostring(L, -1);
    if (key == "fn" || key == "weight" || key == "name") continue;
    if (key == "tags" || key == "tag")
      luaL_error(L,
                 "%s: task %d has a field '%s', but a Lua task has no tags: --tags and "
                 "--exclude-tags choose a scripted user by the tags the scenario gives it "
                 "(users: [{script: ..., tags: [...]}]); put tasks tagged apart in a class "
                 "of their own",
                 where.c_str(), task, lua_tostring(L, -1));
    luaL_error(L, "%s: task %d has a field '%s', which swarmlet does not read (a task is %s)",
               where.c_str(), task, lua_tostring(L, -1), task_shape);
  }
}

std::string defined_at(lua_State* L, int index) {
  lua_Debug ar;
  lua_pushvalue(L, index);
  lua_getinfo(L, ">S", &ar);
  return std::string(ar.short_src) + ":" + std::to_string(ar.linedefined);
}

/// Runs in protected mode with the class on top of the stack.
int check_class(lua_State* L) {
  user_class& c = *static_cast<check_args*>(lua_touserdata(L, 2))->out;
  lua_pop(L, 1);
  const int cls = 1;
  if (!lua_istable(L, cls))
    return luaL_error(L, "%s must return the user class (a table with tasks), got %s",
                      c.file.c_str(), luaL_typename(L, cls));
  // A class table may hold the script's own fields, but a mistyped field swarmlet reads would
  // be ignored (on_stop never running): raised.
  refuse_mistyped_keys(L, cls, c.file, "the class has a field",
                       {"tasks", "on_start", "on_stop", "wait"});
  lua_getfield(L, cls, "on_start");
  c.on_start = optional_function(L, c, -1, "on_start");
  lua_getfield(L, cls, "on_stop");
  c.on_stop = optional_function(L, c, -1, "on_stop");
  lua_getfield(L, cls, "wait");
  if (!lua_isnil(L, -1)) {
    // A number, not "0.5" (lua_isnumber's coercion): a string was kept, then called as wait(u).
    if (!lua_isfunction(L, -1) && !(lua_type(L, -1) == LUA_TNUMBER && lua_tonumber(L, -1) >= 0))
      return luaL_error(L, "%s: wait must be seconds (a number >= 0) or a function(u)",
                        c.file.c_str());
    lua_pushvalue(L, -1);
    c.wait = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  lua_getfield(L, cls, "tasks");
  const int tasks = lua_gettop(L);
  const char* shape = "a non-empty list of functions or {fn = function, weight = n}";
  if (!lua_istable(L, tasks) || lua_objlen(L, tasks) == 0)
    return luaL_error(L, "%s: tasks must be %s", c.file.c_str(), shape);
  const int n = static_cast<int>(lua_objlen(L, tasks));
  // Only 1..n are read: an entry past a hole, or under a name (Locust's {checkout = f} shape),
  // would never run. It is refused, named.
  lua_pushnil(L);
  while (lua_next(L, tasks) != 0) {
    lua_pop(L, 1);
    if (lua_type(L, -1) == LUA_TNUMBER) {
      const lua_Number k = lua_tonumber(L, -1);
      if (k >= 1 && k <= n && k == static_cast<int>(k)) continue;
      return luaL_error(L, "%s: tasks[%s] is past the end of the list 1..%d (tasks are %s)",
                        c.file.c_str(), lua_tostring(L, -1), n, shape);
    }
    if (lua_type(L, -1) == LUA_TSTRING)
      return luaL_error(L,
                        "%s: tasks.%s is not in the list (tasks are %s; name a task with "
                        "{fn = f, name = '%s'})",
                        c.file.c_str(), lua_tostring(L, -1), shape, lua_tostring(L, -1));
    return luaL_error(L, "%s: tasks has a %s key (tasks are %s)", c.file.c_str(),
                      luaL_typename(L, -1), shape);
  }
  for (int i = 1; i <= n; ++i) {
    lua_rawgeti(L, tasks, i);
    user_class::task t;
    if (lua_isfunction(L, -1)) {
      t.name = defined_at(L, -1);
      lua_pushvalue(L, -1);
    } else if (lua_istable(L, -1)) {
      // A task's errors name the line where its fn starts, when it has one.
      lua_getfield(L, -1, "fn");
      const int line = line_defined(L, -1);
      lua_pop(L, 1);
      const std::string where = file_and_line(c.file, line);
      const std::string what = "task " + std::to_string(i) + " has a field";
      refuse_mistyped_keys(L, lua_gettop(L), c.file, what.c_str(), {"fn", "weight", "name"}, line);
      refuse_unknown_task_fields(L, where, i, lua_gettop(L));
      lua_getfield(L, -1, "weight");
      if (!lua_isnil(L, -1)) {
        const lua_Number w = lua_tonumber(L, -1);
        if (!lua_isnumber(L, -1) || w < 1 || w > 1e6 || w != static_cast<int>(w))
          return luaL_error(L, "%s: task %d: weight must be a whole number from 1 to 1000000",
                            where.c_str(), i);
        t.weight = static_cast<int>(w);
      }
      lua_pop(L, 1);
      lua_getfield(L, -1, "fn");
      if (!lua_isfunction(L, -1))
        return luaL_error(L, "%s: task %d has no fn (tasks are %s)", c.file.c_str(), i, shape);
      t.name = defined_at(L, -1);
      lua_getfield(L, -2, "name");
      if (lua_type(L, -1) == LUA_TSTRING) {
        t.name = lua_tostring(L, -1);
      } else if (!lua_isnil(L, -1)) {
        return luaL_error(L, "%s: task %d: name must be a string, got %s", where.c_str(), i,
                          luaL_typename(L, -1));
      }
      lua_pop(L, 1);
    } else {
      return luaL_error(L, "%s: task %d is a %s (tasks are %s)", c.file.c_str(), i,
                        luaL_typename(L, -1), shape);
    }
    t.fn = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pop(L, 1);
    c.tasks.push_back(std::move(t));
  }
  lua_pushvalue(L, cls);
  c.table = luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

}  // namespace

user_class load_user_class(engine& e, const std::string& file) {
  lua_State* L = e.state();
  const int top = lua_gettop(L);
  e.require_file(file);  // the class is now on top
  user_class c;
  c.file = file;
  check_args args{&c};
  lua_pushcfunction(L, check_class);
  lua_insert(L, -2);
  lua_pushlightuserdata(L, &args);
  const int status = lua_pcall(L, 2, 0, 0);
  if (status != 0) {
    std::string message = error_message(L);
    lua_settop(L, top);
    throw script_error(message);
  }
  lua_settop(L, top);
  return c;
}

}  // namespace swarmlet::script
