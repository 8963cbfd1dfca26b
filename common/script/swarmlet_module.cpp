// The `swarmlet` module table: the green API and sockets (their own files), measuring and
// recording requests of any protocol, JSON, and small helpers.
#include "swarmlet_module.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/config/untrusted_json.hpp"
#include "common/stats/stats_table.hpp"
#include "json_convert.hpp"
#include "lua_guard.hpp"
#include "lua_options.hpp"
#include "lua_reentry.hpp"
#include "user_context.hpp"

namespace swarmlet::script {
namespace {

char stop_sentinel = 0;

std::uint64_t micros(green::duration d) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return us < 0 ? 0 : static_cast<std::uint64_t>(us);
}

/// Records one request of any protocol in the hub thread's stats (nothing outside a hub).
void record(lua_State* L, const std::string& type, const std::string& name, std::uint64_t us,
            std::uint64_t bytes, const std::string* failure) {
  stats::stats_table* table = engine::of(L).stats();
  if (table == nullptr) return;
  table->entry(type, name).record(us, bytes, failure != nullptr);
  if (failure != nullptr) table->record_error(type, name, *failure);
}

int l_now(lua_State* L) {
  const auto t = green::clock::now().time_since_epoch();
  lua_pushnumber(L, std::chrono::duration<double>(t).count());
  return 1;
}

int l_uuid(lua_State* L) {
  auto& rng = engine::of(L).rng();
  const std::uint64_t hi = (rng() & ~0xF000ull) | 0x4000ull;        // version 4
  const std::uint64_t lo = (rng() & ~(3ull << 62)) | (2ull << 62);  // variant 10
  char out[37];
  std::snprintf(out, sizeof out, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFull));
  lua_pushstring(L, out);
  return 1;
}

int l_env(lua_State* L) {
  const char* name = luaL_checkstring(L, 1);
  if (const char* value = std::getenv(name)) {
    lua_pushstring(L, value);
  } else if (lua_gettop(L) >= 2) {
    lua_pushvalue(L, 2);
  } else {
    lua_pushnil(L);
  }
  return 1;
}

int l_log(lua_State* L) {
  check_c_stack(L);  // tostring may call a __tostring that logs
  const int n = lua_gettop(L);
  std::string line;
  lua_getglobal(L, "tostring");
  for (int i = 1; i <= n; ++i) {
    lua_pushvalue(L, -1);
    lua_pushvalue(L, i);
    lua_call(L, 1, 1);
    if (i > 1) line += ' ';
    if (const char* s = lua_tostring(L, -1)) line += s;
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  const thread_info* t = engine::of(L).current();
  if (t != nullptr && t->user != nullptr && t->user->id != 0) {
    std::fprintf(stderr, "[user %llu] %s\n", static_cast<unsigned long long>(t->user->id),
                 line.c_str());
  } else {
    std::fprintf(stderr, "[script] %s\n", line.c_str());
  }
  return 0;
}

int l_worker_index(lua_State* L) {
  lua_pushinteger(L, engine::of(L).worker_index());
  return 1;
}

int l_worker_count(lua_State* L) {
  lua_pushinteger(L, engine::of(L).worker_count());
  return 1;
}

int l_stop_user(lua_State* L) {
  const thread_info* t = engine::of(L).current();
  if (t == nullptr || t->user == nullptr)
    return luaL_error(L, "sw.stop_user() is for code that runs in a user");
  if (t->user->stop) t->user->stop();
  push_stop_sentinel(L);
  return lua_error(L);
}

/// sw.measure's message handler: an error object other than a string is described with the
/// line that raised it (error({code = 5}) reads "user.lua:9: error object is a table: ..."), as
/// a task's is, into the std::string of its upvalue. The object itself goes on unchanged.
int measure_handler(lua_State* L) {
  if (lua_type(L, 1) == LUA_TSTRING || is_stop_sentinel(L, 1)) return 1;
  auto* described = static_cast<std::string*>(lua_touserdata(L, lua_upvalueindex(1)));
  *described = with_position(L, error_message(L, 1));
  lua_settop(L, 1);
  return 1;
}

/// Raises when `type` is the type of script errors, which are not requests: a row of it recorded
/// by sw.record or sw.measure would be taken for one.
void refuse_script_error_type(lua_State* L, const char* function, const std::string& type) {
  if (stats::stats_table::is_script_error({type, ""}))
    luaL_error(L,
               "%s: type %s is the type of script errors (not requests): raise an error for one, "
               "or record under another type",
               function, type.c_str());
}

/// sw.measure(type, name, fn, ...): fn's results, recorded as one request of `type` and `name`
/// taking as long as fn did; when fn raises, a failure with its message, and nil, message.
int l_measure(lua_State* L) {
  check_c_stack(L);
  const std::string type = luaL_checkstring(L, 1);
  const std::string name = luaL_checkstring(L, 2);
  luaL_checktype(L, 3, LUA_TFUNCTION);
  refuse_script_error_type(L, "sw.measure", type);
  const int nargs = lua_gettop(L) - 3;
  std::string described;
  lua_pushlightuserdata(L, &described);
  lua_pushcclosure(L, measure_handler, 1);
  lua_insert(L, 3);  // below fn
  const auto start = green::clock::now();
  const int status = lua_pcall(L, nargs, LUA_MULTRET, 3);
  const std::uint64_t us = micros(green::clock::now() - start);
  lua_remove(L, 3);
  if (status != 0) {
    const thread_info* t = engine::of(L).current();
    if ((t != nullptr && (t->killed || t->bound_expired)) || is_stop_sentinel(L, -1))
      return lua_error(L);
    const std::string message = described.empty() ? error_message(L) : described;
    record(L, type, name, us, 0, &message);
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  std::uint64_t bytes = 0;
  if (lua_gettop(L) >= 3 && lua_type(L, 3) == LUA_TSTRING) bytes = lua_objlen(L, 3);
  record(L, type, name, us, bytes, nullptr);
  return lua_gettop(L) - 2;  // fn's results took the place of fn
}

/// The longest time sw.record takes: a day.
constexpr lua_Number max_recorded_ms = 86'400'000;

/// sw.record{type =, name =, ms =, bytes =, error =}: one request measured by the script.
int l_record(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  check_option_keys(L, 1, "sw.record", {"type", "name", "ms", "bytes", "error"});
  lua_getfield(L, 1, "type");
  lua_getfield(L, 1, "name");
  lua_getfield(L, 1, "ms");
  lua_getfield(L, 1, "bytes");
  lua_getfield(L, 1, "error");
  if (lua_type(L, 2) != LUA_TSTRING || lua_type(L, 3) != LUA_TSTRING)
    return luaL_error(L, "sw.record needs type and name (strings)");
  if (lua_type(L, 4) != LUA_TNUMBER) return luaL_error(L, "sw.record needs ms (a number)");
  const lua_Number ms = lua_tonumber(L, 4);
  // NaN, a negative time or one past a day counted as 0 (or a wrapped count): a script's bug,
  // said where it is rather than recorded as a fast request.
  if (!(ms >= 0 && ms <= max_recorded_ms))
    return luaL_error(L, "sw.record: ms must be from 0 to %d (a day), got %f",
                      static_cast<int>(max_recorded_ms), ms);
  if (!lua_isnil(L, 5) && lua_type(L, 5) != LUA_TNUMBER)
    return luaL_error(L, "sw.record: bytes must be a number");
  const lua_Number bytes = lua_isnil(L, 5) ? 0 : lua_tonumber(L, 5);
  if (!(bytes >= 0 && bytes <= 1e15))
    return luaL_error(L, "sw.record: bytes must be from 0 to 1e15, got %f", bytes);
  const std::string type = lua_tostring(L, 2);
  const std::string name = lua_tostring(L, 3);
  // An empty type or name made a row no report can tell apart, an empty error a failure that
  // said nothing ("x ee: "): refused, as a missing one is.
  if (type.empty()) return luaL_error(L, "sw.record: type must not be empty");
  refuse_script_error_type(L, "sw.record", type);
  if (name.empty()) return luaL_error(L, "sw.record: name must not be empty");
  if (!lua_isnil(L, 6) && lua_type(L, 6) != LUA_TSTRING && !lua_isboolean(L, 6))
    return luaL_error(L, "sw.record: error must be a string (or a boolean), got %s",
                      luaL_typename(L, 6));
  if (lua_type(L, 6) == LUA_TSTRING && lua_objlen(L, 6) == 0)
    return luaL_error(L,
                      "sw.record: error must not be empty (the failure's message; true for a "
                      "failure without one)");
  const bool failed = !lua_isnil(L, 6) && !(lua_isboolean(L, 6) && !lua_toboolean(L, 6));
  std::string failure;
  if (failed) failure = lua_type(L, 6) == LUA_TSTRING ? lua_tostring(L, 6) : "failed";
  record(L, type, name, static_cast<std::uint64_t>(ms * 1000.0), static_cast<std::uint64_t>(bytes),
         failed ? &failure : nullptr);
  return 0;
}

int l_json_encode(lua_State* L) {
  std::string text, why;
  try {
    text = to_json(L, 1).dump();
  } catch (const nlohmann::json::type_error& e) {
    // JSON text is UTF-8; the library's own words ("[json.exception.type_error.316] ...") are
    // no message for a script. Raised outside the handler.
    why = e.what();
    if (const auto at = why.find("invalid UTF-8"); at != std::string::npos) why = why.substr(at);
    why = "sw.json_encode: a string is not UTF-8 (" + why + ")";
  }
  if (!why.empty()) {
    luaL_where(L, 1);  // "file:line: ", as luaL_error says it
    lua_pushlstring(L, why.data(), why.size());
    lua_concat(L, 2);
    return lua_error(L);
  }
  lua_pushlstring(L, text.data(), text.size());
  return 1;
}

int l_json_decode(lua_State* L) {
  std::size_t len = 0;
  const char* text = luaL_checklstring(L, 1, &len);
  std::string why;
  const nlohmann::json j = config::parse_untrusted_json({text, len}, &why);
  if (j.is_discarded()) {
    lua_pushnil(L);
    lua_pushstring(L, why == "not JSON" ? "not valid JSON" : why.c_str());
    return 2;
  }
  push_json(L, j);
  return 1;
}

}  // namespace

void push_stop_sentinel(lua_State* L) {
  lua_pushlightuserdata(L, &stop_sentinel);
}

bool is_stop_sentinel(lua_State* L, int index) {
  return lua_touserdata(L, index) == &stop_sentinel;
}

void pass_stops_through(lua_State* L) {
  const thread_info* t = engine::of(L).current();
  if ((t != nullptr && (t->killed || t->bound_expired)) || is_stop_sentinel(L, -1)) lua_error(L);
  if (user_is_stopping(L)) {  // a message handler may have turned the sentinel into a string
    push_stop_sentinel(L);
    lua_error(L);
  }
}

namespace {

/// Keys (by its address) the table of the swarmlet module's functions' names ("sw.pool") in
/// each state's registry.
char function_names_key = 0;

/// The name of the swarmlet function at `index` ("sw.pool"), or "" for any other value.
std::string swarmlet_function_name(lua_State* L, int index) {
  if (!lua_iscfunction(L, index)) return {};
  lua_pushlightuserdata(L, &function_names_key);
  lua_rawget(L, LUA_REGISTRYINDEX);
  if (!lua_istable(L, -1)) {  // the module was never required
    lua_pop(L, 1);
    return {};
  }
  lua_pushvalue(L, index);
  lua_rawget(L, -2);
  std::string name = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
  lua_pop(L, 2);
  return name;
}

/// Lua names a function after its call site, and a function pcall calls has none: pcall(sw.pool,
/// 0) failed with "bad argument #1 to '?' (...)". With the error on top, puts `name` in.
void name_in_argument_error(lua_State* L, const std::string& name) {
  if (lua_type(L, -1) != LUA_TSTRING) return;
  std::string message = lua_tostring(L, -1);
  const auto at = message.find(" to '?' (");
  if (message.rfind("bad argument #", 0) != 0 || at == std::string::npos) return;
  message.replace(at, 7, " to '" + name + "'");
  lua_pushlstring(L, message.data(), message.size());
  lua_replace(L, -2);
}

int l_pcall(lua_State* L) {
  check_c_stack(L);
  luaL_checkany(L, 1);
  const std::string name = swarmlet_function_name(L, 1);
  const int status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
  if (status != 0) pass_stops_through(L);
  if (status != 0 && !name.empty()) name_in_argument_error(L, name);
  lua_pushboolean(L, status == 0 ? 1 : 0);
  lua_insert(L, 1);
  return lua_gettop(L);
}

int l_xpcall(lua_State* L) {
  check_c_stack(L);
  luaL_checkany(L, 2);
  // (f, handler, args...) -> (handler, f, args...): lua_pcall takes the handler's index.
  lua_pushvalue(L, 1);
  lua_pushvalue(L, 2);
  lua_replace(L, 1);
  lua_replace(L, 2);
  const int status = lua_pcall(L, lua_gettop(L) - 2, LUA_MULTRET, 1);
  if (status != 0) pass_stops_through(L);
  lua_pushboolean(L, status == 0 ? 1 : 0);
  lua_replace(L, 1);  // over the handler
  return lua_gettop(L);
}

}  // namespace

void replace_protected_calls(lua_State* L) {
  lua_pushcfunction(L, l_pcall);
  lua_setglobal(L, "pcall");
  lua_pushcfunction(L, l_xpcall);
  lua_setglobal(L, "xpcall");
}

void note_runner_timeout(lua_State* L, const void* source) {
  thread_info* t = engine::of(L).current();
  if (t == nullptr) return;
  for (const green::timeout* own : t->script_timeouts)
    if (own == source) return;  // the script's own sw.timeout: its to catch
  t->bound_expired = true;
}

bool user_is_stopping(lua_State* L) {
  const thread_info* t = engine::of(L).current();
  if (t == nullptr || t->user == nullptr) return false;
  const user_context& u = *t->user;
  return u.stopping != nullptr && u.stopping->ready() && !u.finishing;
}

void end_task_if_stopping(lua_State* L) {
  if (!user_is_stopping(L)) return;
  push_stop_sentinel(L);
  lua_error(L);
}

int open_swarmlet_module(lua_State* L) {
  static const luaL_Reg functions[] = {{"now", l_now},
                                       {"uuid", l_uuid},
                                       {"env", l_env},
                                       {"log", l_log},
                                       {"stop_user", l_stop_user},
                                       {"worker_index", l_worker_index},
                                       {"worker_count", l_worker_count},
                                       {"measure", guarded<l_measure>},
                                       {"record", guarded<l_record>},
                                       {"json_encode", guarded<l_json_encode>},
                                       {"json_decode", guarded<l_json_decode>},
                                       {nullptr, nullptr}};
  lua_newtable(L);
  luaL_register(L, nullptr, functions);
  add_green_api(L);
  add_tcp_api(L);
  const int module = lua_gettop(L);
  lua_pushlightuserdata(L, &function_names_key);
  lua_newtable(L);
  lua_pushnil(L);
  while (lua_next(L, module) != 0) {
    if (lua_type(L, -2) == LUA_TSTRING && lua_iscfunction(L, -1)) {
      lua_pushvalue(L, -1);
      lua_pushfstring(L, "sw.%s", lua_tostring(L, -3));
      lua_rawset(L, -5);  // names[fn] = "sw.NAME"
    }
    lua_pop(L, 1);
  }
  lua_rawset(L, LUA_REGISTRYINDEX);
  return 1;
}

}  // namespace swarmlet::script
