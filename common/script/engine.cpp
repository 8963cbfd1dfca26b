#include "engine.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>

#include "common/green/hub.hpp"
#include "lua_guard.hpp"
#include "lua_reentry.hpp"
#include "setup_data.hpp"
#include "swarmlet_module.hpp"
#include "user_context.hpp"

namespace swarmlet::script {
namespace {

/// Instructions between two looks at the clock: a few microseconds of Lua.
constexpr int hook_instructions = 10'000;
/// A slice that has run this long makes the hub poll at its next switch, whatever else is
/// ready: a script busy for a while, then yielding, must not hold off the hub's I/O, timers and
/// a stop from another thread until hundreds of such slices have passed.
constexpr auto long_slice = std::chrono::milliseconds(1);

/// package.loaders' own entry: modules come only from the scenario's files.
int load_from_files(lua_State* L) {
  const std::string module = luaL_checkstring(L, 1);
  std::string file = module;
  for (auto& c : file)
    if (c == '.') c = '/';
  file += ".lua";
  engine& e = engine::of(L);
  const std::string* text = e.find_file(file);
  if (text == nullptr) {
    // Only the modules a script requires as it loads are found and travel with the scenario:
    // one required first in a task was said missing though the file was there.
    const std::string late = e.current() != nullptr
                                 ? " (a module is found only when the script requires it as "
                                   "it loads: require it at the top of the file)"
                                 : "";
    // One line: require writes "module 'x' not found:" and then what each loader said (Lua's
    // own loaders each say "\n\t..."), and a message on several lines reads badly wherever it
    // goes (the console, the error report, which escapes the bytes).
    lua_pushstring(L, (" no script '" + file + "' among the scenario's files" + late).c_str());
    return 1;
  }
  const std::string chunk = engine::chunk_name(file);
  // "t": source only, a script file in bytecode too (see open_sandbox).
  if (luaL_loadbufferx(L, text->data(), text->size(), chunk.c_str(), "t") != 0) return lua_error(L);
  return 1;
}

/// package.loaders' first entry, in place of Lua's: package.preload[name] (the swarmlet module
/// lives there), else nothing to say (Lua's said "\n\tno field package.preload['x']", which
/// names no file a script's author could add).
int load_from_preload(lua_State* L) {
  luaL_checkstring(L, 1);
  lua_pushvalue(L, 1);
  lua_rawget(L, lua_upvalueindex(1));
  return lua_isnil(L, -1) ? 0 : 1;
}

void remove_fields(lua_State* L, const char* table, std::initializer_list<const char*> names) {
  lua_getglobal(L, table);
  for (const char* n : names) {
    lua_pushnil(L);
    lua_setfield(L, -2, n);
  }
  lua_pop(L, 1);
}

/// Keys (by its address) the error describer in each state's registry (see error_message()).
char describer_key;
int describe_error(lua_State* L);

/// Runs `fn` in protected mode on `L`; throws script_error with Lua's message.
void protected_call(lua_State* L, lua_CFunction fn, void* arg) {
  if (lua_cpcall(L, fn, arg) != 0) {
    std::string message = error_message(L);
    lua_pop(L, 1);
    throw script_error(message);
  }
}

int collect(lua_State* L) {
  lua_gc(L, LUA_GCCOLLECT, 0);
  return 0;
}

}  // namespace

engine::engine(script_files files, engine_options options,
               std::function<std::optional<std::string>(const std::string&)> missing)
    : options_(options), files_(std::move(files)), missing_(std::move(missing)) {
  L_ = lua_newstate(&engine::allocate, this);
  if (L_ == nullptr) throw script_error("cannot make a Lua state (out of memory)");
  try {
    protected_call(L_, &engine::open_sandbox, this);
  } catch (...) {
    lua_close(L_);
    throw;
  }
  // Made now, while the heap has room: collect_garbage() is most needed when it has none, and
  // lua_cpcall would make its closure then (and, refused, collect nothing).
  lua_pushcfunction(L_, collect);
  collect_ref_ = luaL_ref(L_, LUA_REGISTRYINDEX);
  // The built-in modules (Lua's and swarmlet's), which require() gives before it looks for a file.
  lua_getglobal(L_, "package");
  for (const char* table : {"loaded", "preload"}) {
    lua_getfield(L_, -1, table);
    for (lua_pushnil(L_); lua_next(L_, -2) != 0; lua_pop(L_, 1))
      if (lua_type(L_, -2) == LUA_TSTRING) builtin_modules_.insert(lua_tostring(L_, -2));
    lua_pop(L_, 1);
  }
  lua_pop(L_, 1);
  lua_sethook(L_, &engine::count_hook, LUA_MASKCOUNT, hook_instructions);
}

engine::~engine() {
  closing_ = true;
  lua_close(L_);
}

stats::stats_table* engine::stats_of(const user_context* user) const noexcept {
  return user != nullptr && user->stats != nullptr ? user->stats : stats_;
}

stats::stats_table* engine::stats() const noexcept {
  return stats_of(current_ != nullptr ? current_->user : nullptr);
}

stats::exception_table* engine::exceptions_of(const user_context* user) const noexcept {
  return user != nullptr && user->exceptions != nullptr ? user->exceptions : exceptions_;
}

stats::exception_table* engine::exceptions() const noexcept {
  return exceptions_of(current_ != nullptr ? current_->user : nullptr);
}

void engine::close_hub_objects() noexcept {
  for (hub_bound* object : hub_objects_) object->close_now();
}

void engine::collect_garbage() noexcept {
  lua_rawgeti(L_, LUA_REGISTRYINDEX, collect_ref_);
  if (lua_pcall(L_, 0, 0, 0) != 0) lua_pop(L_, 1);
}

const std::string* engine::find_file(const std::string& name) {
  auto it = files_.find(name);
  if (it != files_.end()) return &it->second;
  if (!missing_) return nullptr;
  std::optional<std::string> text = missing_(name);
  if (!text) return nullptr;
  return &files_.emplace(name, std::move(*text)).first->second;
}

void* engine::allocate(void* self, void* block, std::size_t old_size, std::size_t new_size) {
  auto* e = static_cast<engine*>(self);
  if (block == nullptr) old_size = 0;  // Lua passes a type tag in old_size for new blocks
  if (new_size == 0) {
    e->blocks_.release(block, old_size);
    e->heap_bytes_ -= old_size;
    return nullptr;
  }
  if (new_size > old_size && e->heap_bytes_ + (new_size - old_size) > e->options_.heap_limit)
    return nullptr;  // Lua raises "not enough memory" in the script that asked
  void* grown = e->blocks_.resize(block, old_size, new_size);
  if (grown != nullptr) e->heap_bytes_ = e->heap_bytes_ - old_size + new_size;
  return grown;
}

void engine::count_hook(lua_State* L, lua_Debug*) {
  engine& e = of(L);
  if (e.current_ != nullptr && e.current_->killed) {
    lua_pushstring(L, killed_message);
    lua_error(L);
  }
  // Lua's own "not enough memory" carries no position (no handler runs for it), so a heap
  // growing toward its limit is stopped here first, where the script's line is known.
  if (e.heap_bytes_ > e.options_.heap_limit / 4 * 3) {
    lua_gc(L, LUA_GCCOLLECT, 0);
    if (e.heap_bytes_ > e.options_.heap_limit / 4 * 3) {
      luaL_where(L, 0);  // in a hook, 0 is the function running: the line it is on
      lua_pushfstring(L, "Lua heap limit reached: %d MiB in use of %d MiB allowed per hub thread",
                      static_cast<int>(e.heap_bytes_ >> 20),
                      static_cast<int>(e.options_.heap_limit >> 20));
      lua_concat(L, 2);
      lua_error(L);
    }
  }
  const auto now = green::clock::now();
  if (!e.slice_timed_) {
    e.slice_timed_ = true;
    e.slice_start_ = now;
  }
  const auto ran = now - e.slice_start_;
  if (ran > long_slice) {
    if (green::hub* h = green::hub::current()) h->poll_at_next_switch();
  }
  if (ran > e.options_.run_limit) {
    // The slice is not renewed and the hook now runs at every instruction: a script that
    // catches this error gets it again at its next instruction, in the frame that caught it,
    // until it parks or its task ends; so a pcall in a loop cannot keep the hub frozen.
    if (!e.hook_tightened_) {
      e.hook_tightened_ = true;
      lua_sethook(L, &engine::count_hook, LUA_MASKCOUNT, 1);
      luaL_where(L, 0);  // in a hook, 0 is the function running: the line it is on
      e.runaway_line_ = lua_tostring(L, -1);
      lua_pop(L, 1);
    }
    // The line that ran away, each time: caught by a pcall, the error comes again at the next
    // line of the frame that caught it, which did nothing wrong. And the limit, not the time
    // measured: the same runaway gives the same message, one row of the error and exception
    // reports rather than one per millisecond it overran.
    lua_pushstring(
        L, (e.runaway_line_ + "script ran over " + std::to_string(e.options_.run_limit.count()) +
            " ms without parking (scripting.run_limit): interrupted")
               .c_str());
    lua_error(L);
  }
}

void engine::relax_hook() noexcept {
  hook_tightened_ = false;
  lua_sethook(L_, &engine::count_hook, LUA_MASKCOUNT, hook_instructions);
}

int engine::open_sandbox(lua_State* L) {
  lua_pushlightuserdata(L, &describer_key);
  lua_pushcfunction(L, &describe_error);
  lua_rawset(L, LUA_REGISTRYINDEX);
  const lua_CFunction libs[] = {luaopen_base,   luaopen_package, luaopen_table,
                                luaopen_string, luaopen_math,    luaopen_bit,
                                luaopen_os,     luaopen_debug,   luaopen_jit};
  for (lua_CFunction open : libs) {
    lua_pushcfunction(L, open);
    lua_call(L, 0, 0);
  }
  // The instruction-count hook that interrupts a runaway script runs only in the interpreter:
  // compiled traces never call hooks. Scripts spend their time in swarmlet's C functions
  // (requests, sleeps), which the JIT would not compile anyway, so the interpreter costs little.
  luaJIT_setmode(L, 0, LUAJIT_MODE_ENGINE | LUAJIT_MODE_OFF);

  // No processes, no files, no native code, no way to turn the guards off: a scenario runs on
  // every worker and must behave the same there. Data reach scripts through data files (u.vars)
  // and setup, not io.open, so io is not opened at all (reading is refused too: a file read on
  // the master would be missing on the workers).
  remove_fields(L, "_G", {"dofile", "loadfile", "jit"});
  // newproxy makes a userdata whose __gc the script writes: a finalizer that raises does so
  // wherever the collector runs, in swarmlet's own C calls too, outside any protected call.
  remove_fields(L, "_G", {"newproxy"});
  // Bytecode is not checked by LuaJIT's loader: a crafted binary chunk reads and writes any
  // memory. Scripts (files, and chunks of load and loadstring) load source only, and
  // string.dump (the way to make bytecode) is gone.
  remove_fields(L, "string", {"dump"});
  if (luaL_dostring(
          L,
          "local load, loadstring = load, loadstring\n"
          "function _G.load(chunk, name, mode, env) return load(chunk, name, 't', env) end\n"
          "function _G.loadstring(text, name) return loadstring(text, name, 't') end") != 0)
    return lua_error(L);
  replace_protected_calls(L);
  guard_reentrant_library(L);
  // Lua seeds math.random with a constant: every state (the users of each hub thread, on every
  // worker, in every run) drew the same numbers. Seeded from the system's randomness, each
  // state draws its own; a script that wants a repeatable sequence calls math.randomseed.
  lua_getglobal(L, "math");
  lua_getfield(L, -1, "randomseed");
  std::random_device entropy;
  const std::uint64_t seed = (static_cast<std::uint64_t>(entropy()) << 32) ^ entropy();
  lua_pushnumber(L, static_cast<lua_Number>(seed >> 11));  // 53 bits: a double holds them all
  lua_call(L, 1, 0);
  lua_pop(L, 1);
  remove_fields(L, "os", {"execute", "exit", "remove", "rename", "tmpname", "setlocale"});
  lua_getglobal(L, "debug");
  lua_getfield(L, -1, "traceback");
  lua_newtable(L);
  lua_insert(L, -2);
  lua_setfield(L, -2, "traceback");  // debug = {traceback = ...}: no sethook, no getregistry
  lua_setglobal(L, "debug");
  lua_pop(L, 1);

  lua_getglobal(L, "package");
  lua_pushnil(L);
  lua_setfield(L, -2, "loadlib");
  lua_pushstring(L, "");
  lua_setfield(L, -2, "path");
  lua_pushstring(L, "");
  lua_setfield(L, -2, "cpath");
  lua_getfield(L, -1, "loaded");
  for (const char* gone : {"jit", "jit.opt", "io", "ffi"}) {
    lua_pushnil(L);
    lua_setfield(L, -2, gone);
  }
  // require("debug") answers from package.loaded, which still held the whole library: its
  // sethook took the guard against a runaway script off.
  lua_getglobal(L, "debug");
  lua_setfield(L, -2, "debug");
  lua_pop(L, 1);
  lua_getfield(L, -1, "preload");
  lua_pushcfunction(L, open_swarmlet_module);
  lua_setfield(L, -2, "swarmlet");
  // LuaJIT preloads ffi (it can call any C function) and jit's own modules.
  for (const char* gone : {"ffi", "jit.util", "jit.profile"}) {
    lua_pushnil(L);
    lua_setfield(L, -2, gone);
  }
  lua_newtable(L);
  lua_insert(L, -2);
  lua_pushcclosure(L, load_from_preload, 1);  // holds package.preload
  lua_rawseti(L, -2, 1);
  lua_pushcfunction(L, load_from_files);
  lua_rawseti(L, -2, 2);
  lua_setfield(L, -2, "loaders");
  lua_pop(L, 1);
  return 0;
}

void engine::set_setup_data(const std::string& msgpack) {
  if (msgpack == setup_bytes_) return;
  struct decode_args {
    const std::string* bytes;
    int ref = LUA_REFNIL;
    bool ok = false;
  } args{&msgpack};
  const auto decode = [](lua_State* L) -> int {
    auto* a = static_cast<decode_args*>(lua_touserdata(L, 1));
    a->ok = script::push_setup_data(L, *a->bytes);
    if (a->ok) a->ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
  };
  protected_call(L_, decode, &args);
  if (!args.ok) throw script_error("setup's data from the master is not a value setup can return");
  luaL_unref(L_, LUA_REGISTRYINDEX, setup_ref_);
  setup_ref_ = args.ref;
  setup_bytes_ = msgpack;
}

void engine::push_setup_data(lua_State* L) const {
  lua_rawgeti(L, LUA_REGISTRYINDEX, setup_ref_);
}

void engine::require_file(const std::string& name) {
  std::string module = name;
  if (module.size() > 4 && module.compare(module.size() - 4, 4, ".lua") == 0)
    module.resize(module.size() - 4);
  for (auto& c : module)
    if (c == '/') c = '.';
  // require("os") is Lua's os library, whatever os.lua holds: the class would be that table,
  // and the error would blame tasks the file has.
  if (builtin_modules_.count(module) > 0)
    throw script_error(name + ": '" + module +
                       "' is a built-in module (require() gives it, not this file); rename the "
                       "file");
  if (name.find('.') < name.size() - 4 || name.size() <= 4) {
    // A dot in the file's stem (shop.v2.lua) has no module name: require('shop.v2') reads
    // shop/v2.lua. The file runs as itself, kept in package.loaded under its file name.
    lua_getglobal(L_, "package");
    lua_getfield(L_, -1, "loaded");
    lua_remove(L_, -2);
    lua_getfield(L_, -1, name.c_str());
    if (!lua_isnil(L_, -1)) {
      lua_remove(L_, -2);
      return;
    }
    lua_pop(L_, 1);
    const std::string* text = find_file(name);
    if (text == nullptr) {
      lua_pop(L_, 1);  // package.loaded
      throw script_error("no script '" + name + "' among the scenario's files");
    }
    const std::string chunk = chunk_name(name);
    const std::set<std::string> before = loaded_modules();
    resume(nullptr);
    int status = luaL_loadbufferx(L_, text->data(), text->size(), chunk.c_str(), "t");
    if (status == 0) status = lua_pcall(L_, 0, 1, 0);
    if (status != 0) {
      std::string message = status == LUA_ERRMEM ? out_of_memory(name) : error_message(L_);
      lua_pop(L_, 2);
      forget_failed_requires(before);  // of the modules it required
      throw script_error(message);
    }
    if (lua_isnil(L_, -1)) {  // as require: a file that returns nothing is true
      lua_pop(L_, 1);
      lua_pushboolean(L_, 1);
    }
    lua_pushvalue(L_, -1);
    lua_setfield(L_, -3, name.c_str());
    lua_remove(L_, -2);
    return;
  }
  const std::set<std::string> before = loaded_modules();
  lua_getglobal(L_, "require");
  lua_pushstring(L_, module.c_str());
  resume(nullptr);
  if (const int status = lua_pcall(L_, 1, 1, 0); status != 0) {
    std::string message = status == LUA_ERRMEM ? out_of_memory(name) : error_message(L_);
    lua_pop(L_, 1);
    forget_failed_requires(before);
    throw script_error(message);
  }
}

std::string engine::out_of_memory(const std::string& file) const {
  // Lua's own "not enough memory" names no file: the load failed somewhere in it.
  return file + ": not enough memory while it loaded (the Lua heap of this hub thread is " +
         "limited to " + std::to_string(options_.heap_limit >> 20) + " MiB, scripting.heap_mb)";
}

std::set<std::string> engine::loaded_modules() {
  std::set<std::string> names;
  lua_getfield(L_, LUA_REGISTRYINDEX, "_LOADED");
  if (lua_istable(L_, -1)) {
    lua_pushnil(L_);
    while (lua_next(L_, -2) != 0) {
      if (lua_type(L_, -2) == LUA_TSTRING) names.insert(lua_tostring(L_, -2));
      lua_pop(L_, 1);
    }
  }
  lua_pop(L_, 1);
  return names;
}

void engine::forget_failed_requires(const std::set<std::string>& before) {
  // require marks a module it is loading in the registry's _LOADED, and an error leaves the
  // mark: the next user's require said "loop or previous error loading module", hiding the
  // error the file really raises. What the failed load added goes; a module it loaded well
  // runs again at the next try.
  std::set<std::string> added = loaded_modules();
  std::erase_if(added, [&](const std::string& name) { return before.contains(name); });
  lua_getfield(L_, LUA_REGISTRYINDEX, "_LOADED");
  for (const auto& name : added) {
    lua_pushnil(L_);
    lua_setfield(L_, -2, name.c_str());
  }
  lua_pop(L_, 1);
}

namespace {

/// `v` (an error object's field or value) in a few characters: strings quoted and cut short,
/// numbers and booleans as Lua writes them, anything else by its type.
std::string brief_value(lua_State* L, int index) {
  switch (lua_type(L, index)) {
    case LUA_TSTRING: {
      std::size_t len = 0;
      const char* s = lua_tolstring(L, index, &len);
      std::string out(s, std::min<std::size_t>(len, 40));
      for (char& c : out)  // one line, whatever the field holds
        if (static_cast<unsigned char>(c) < 0x20) c = ' ';
      return "\"" + out + (len > 40 ? "...\"" : "\"");
    }
    case LUA_TNUMBER: {
      lua_pushvalue(L, index);  // lua_tostring converts in place: never the table's own key
      std::string out = lua_tostring(L, -1);
      lua_pop(L, 1);
      return out;
    }
    case LUA_TBOOLEAN:
      return lua_toboolean(L, index) ? "true" : "false";
    default:
      return luaL_typename(L, index);
  }
}

/// A table's first fields, `{code = 503, message = "busy"}`: numbered keys in order, then
/// named ones sorted (lua_next's order follows the hash, so one error object made two rows of
/// the reports, `{code = 503, msg = "x"}` and `{msg = "x", code = 503}`, by thread or worker).
/// No metamethod runs. Up to 8 fields and ~160 characters: it goes on one line of a report.
/// Of a table with more than 256 fields, those lua_next gives first. `index` is absolute.
std::string brief_table(lua_State* L, int index) {
  struct field {
    bool named;
    double number;     ///< a numbered key's
    std::string name;  ///< a named key's, or how another key is shown (`[true]`)
    std::string value;
  };
  std::vector<field> fields;
  bool more = false;
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    if (fields.size() == 256) {
      lua_pop(L, 2);
      more = true;
      break;
    }
    field f;
    f.named = lua_type(L, -2) != LUA_TNUMBER;
    if (!f.named) {
      f.number = lua_tonumber(L, -2);
      f.name = '[' + brief_value(L, -2) + ']';
    } else if (lua_type(L, -2) == LUA_TSTRING) {
      f.name = lua_tostring(L, -2);
    } else {
      f.name = '[' + brief_value(L, -2) + ']';
    }
    f.value = brief_value(L, -1);
    fields.push_back(std::move(f));
    lua_pop(L, 1);
  }
  std::sort(fields.begin(), fields.end(), [](const field& a, const field& b) {
    if (a.named != b.named) return !a.named;
    return a.named ? a.name < b.name : a.number < b.number;
  });
  std::string out = "{";
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i == 8 || out.size() > 160) {
      more = true;
      break;
    }
    if (i > 0) out += ", ";
    out += fields[i].name + " = " + fields[i].value;
  }
  return out + (more ? ", ...}" : "}");
}

/// The value at `at` described, as error_message() says; may allocate, raise and run
/// __tostring: called in protected mode only (describe_error).
std::string describe_value(lua_State* L, int at) {
  const int type = lua_type(L, at);
  if (type == LUA_TNUMBER) return brief_value(L, at);
  // An object that says what it is (a __tostring metamethod) is asked, in a protected call: a
  // metamethod that fails leaves the plain description.
  if (luaL_getmetafield(L, at, "__tostring") != 0) {
    lua_pushvalue(L, at);
    if (lua_pcall(L, 1, 1, 0) == 0 && lua_type(L, -1) == LUA_TSTRING) {
      std::string out = lua_tostring(L, -1);
      lua_pop(L, 1);
      return out;
    }
    lua_pop(L, 1);
  }
  std::string out = std::string("error object is a ") + luaL_typename(L, at);
  if (type == LUA_TTABLE) out += ": " + brief_table(L, at);
  if (type == LUA_TBOOLEAN) out += " (" + brief_value(L, at) + ")";
  return out;
}

int describe_error(lua_State* L) {
  const std::string text = describe_value(L, 1);
  lua_pushlstring(L, text.data(), text.size());
  return 1;
}

}  // namespace

std::string error_message(lua_State* L, int index) {
  const int at = index < 0 && index > LUA_REGISTRYINDEX ? lua_gettop(L) + 1 + index : index;
  const int type = lua_type(L, at);
  if (type == LUA_TSTRING) return lua_tostring(L, at);
  if (type == LUA_TNIL) return "error with no message (nil)";
  // Looking inside an object allocates and may run its __tostring: in a protected call, since
  // the callers mostly are not (C++ after a failed pcall, the heap maybe at its limit), and a
  // Lua error with nothing to catch it is Lua's panic, an abort.
  const std::string plain = std::string("error object is a ") + luaL_typename(L, at);
  lua_pushlightuserdata(L, &describer_key);
  lua_rawget(L, LUA_REGISTRYINDEX);
  if (!lua_isfunction(L, -1)) {  // a state no engine made
    lua_pop(L, 1);
    return plain;
  }
  lua_pushvalue(L, at);
  std::string out = plain;
  if (lua_pcall(L, 1, 1, 0) == 0 && lua_type(L, -1) == LUA_TSTRING) out = lua_tostring(L, -1);
  lua_pop(L, 1);
  return out;
}

std::string with_position(lua_State* L, const std::string& message) {
  // A message that already starts with "file:line:" is left alone.
  const auto colon = message.find(':');
  if (colon != std::string::npos && colon + 1 < message.size() &&
      std::isdigit(static_cast<unsigned char>(message[colon + 1])))
    return message;
  return script_position(L, 0) + message;
}

}  // namespace swarmlet::script
