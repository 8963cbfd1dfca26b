#include "main_script.hpp"

#include "common/config/duration.hpp"
#include "common/green/operations.hpp"
#include "common/green/timeout.hpp"
#include "field_names.hpp"
#include "http_api.hpp"
#include "lua_reentry.hpp"
#include "scripted_user.hpp"
#include "setup_data.hpp"
#include "swarmlet_module.hpp"

namespace swarmlet::script {
namespace {

struct find_args {
  const std::string* file;
  main_functions* out;
};

/// Keeps the function `name` of the table at index 1 (main.lua's value), else of the globals.
int find_function(lua_State* L, const std::string& file, const char* name) {
  lua_getfield(L, 1, name);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_getglobal(L, name);
  }
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return LUA_NOREF;
  }
  if (!lua_isfunction(L, -1))
    luaL_error(L, "%s: %s must be a function, got %s", file.c_str(), name, luaL_typename(L, -1));
  return luaL_ref(L, LUA_REGISTRYINDEX);
}

/// In protected mode, with main.lua's value at index 1 and find_args at 2.
int find_functions(lua_State* L) {
  auto* a = static_cast<find_args*>(lua_touserdata(L, 2));
  lua_pop(L, 1);
  if (!lua_istable(L, 1)) {  // a script that returns nothing defines globals
    lua_pop(L, 1);
    lua_newtable(L);
  }
  // A mistyped setup or teardown (`tearDown`, `set_up`) would never run.
  refuse_mistyped_keys(L, 1, *a->file, "the table it returns has a field", {"setup", "teardown"});
  refuse_mistyped_keys(L, LUA_GLOBALSINDEX, *a->file, "it defines a global", {"setup", "teardown"});
  a->out->setup = find_function(L, *a->file, "setup");
  a->out->teardown = find_function(L, *a->file, "teardown");
  return 0;
}

http::url base_url(const std::string& target) {
  std::string error;
  auto u = http::parse_url(target, error);
  if (!u) throw script_error("the target of ctx.http: " + error);
  return *u;
}

}  // namespace

main_functions load_main_script(engine& e, const std::string& file) {
  lua_State* L = e.state();
  e.require_file(file);  // leaves main.lua's value on top
  main_functions out;
  find_args args{&file, &out};
  lua_pushcfunction(L, find_functions);
  lua_insert(L, -2);
  lua_pushlightuserdata(L, &args);
  if (lua_pcall(L, 2, 0, 0) != 0) {
    std::string message = error_message(L);
    lua_pop(L, 1);
    throw script_error(message);
  }
  return out;
}

main_script::main_script(const script_files& files, const std::string& file, engine_options options,
                         main_script_settings settings)
    : file_(file), settings_(std::move(settings)), engine_(files, options) {
  base_url(settings_.target);  // a bad target is refused now, not at the first request
  engine_.set_stats(&stats_);
  engine_.set_worker_place(0, settings_.worker_count);
  context_.make_client = [this] {
    return std::make_unique<http::client>(base_url(settings_.target), settings_.client,
                                          settings_.tls, context_.cookies);
  };
  context_.stopping = &call_ended_;
  info_.user = &context_;
  functions_ = load_main_script(engine_, file_);
  lua_State* L = engine_.state();
  if (lua_cpcall(L, &main_script::make_context, this) != 0) {
    std::string message = error_message(L);
    lua_pop(L, 1);
    throw script_error(file_ + ": " + message);
  }
}

main_script::~main_script() {
  if (running_.valid() && !running_.dead()) running_.kill();
  context_.end_children();
  context_.settle();
}

int main_script::make_context(lua_State* L) {
  auto* self = static_cast<main_script*>(lua_touserdata(L, 1));
  self->thread_ = lua_newthread(L);
  mark_green_thread(L);
  self->thread_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_pushcfunction(self->thread_, &main_script::message_handler);  // stays at index 1
  lua_createtable(L, 0, 1);
  push_http_object(L, &self->context_);
  lua_setfield(L, -2, "http");
  self->ctx_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

int main_script::message_handler(lua_State* L) {
  if (is_stop_sentinel(L, 1)) return 1;
  // An object setup raised (error({code = 503})) becomes its description, with its line.
  const std::string message = with_position(L, error_message(L, 1));
  lua_pushlstring(L, message.data(), message.size());
  return 1;
}

void main_script::call(int fn, const char* what, green::duration limit, bool keep_result) {
  // What a caller killed while it waited left (the test's end kills the caller only as the
  // main_script goes, but a call on the same Lua thread must never run beside another), before
  // this call's state is set: its unwinding writes the old call's.
  if (running_.valid() && !running_.dead()) {
    running_.kill();
    running_.join();
  }
  context_.end_children();
  call_error_.clear();
  cancelled_ = false;
  info_.killed = false;
  info_.bound_expired = false;
  info_.cut_reason.clear();
  const std::string timed_out =
      std::string(what) + "() did not end within " +
      config::format_duration(std::chrono::duration_cast<std::chrono::microseconds>(limit)) +
      " (scripting." + what + "_timeout)";
  const std::string stopped =
      std::string(what) + "() was stopped before it ended (the test was stopped)";
  call_ended_.reset();
  returned_ = false;
  // Nothing of this frame by reference: a caller killed while it waits leaves the thread
  // running (until this main_script ends it), and the frame gone.
  running_ = green::spawn([this, fn, what, keep_result, timed_out, stopped] {
    std::string& error = call_error_;
    lua_State* T = thread_;
    lua_settop(T, 1);
    lua_rawgeti(T, LUA_REGISTRYINDEX, fn);
    lua_rawgeti(T, LUA_REGISTRYINDEX, ctx_ref_);
    int args = 1;
    if (!keep_result) {  // teardown(ctx, data)
      lua_rawgeti(T, LUA_REGISTRYINDEX, data_ref_);
      ++args;
    }
    engine_.resume(&info_);
    const auto start = green::clock::now();
    const int status = lua_pcall(T, args, keep_result ? 1 : 0, 1);
    if (status == 0) {
      if (keep_result) {
        luaL_unref(T, LUA_REGISTRYINDEX, data_ref_);
        lua_pushvalue(T, 2);
        data_ref_ = luaL_ref(T, LUA_REGISTRYINDEX);
      }
      lua_settop(T, 1);
      returned_ = true;
      // Its spawned threads end with it, as a user's do (scripted_user::end_spawned_threads).
      // In this thread, so that a stop (cancel) cuts the wait; past the call's limit, the
      // threads are killed, and the call, which ended in time, has not timed out.
      context_.stop_and_await_requests(settings_.client.read_timeout);
      return;
    }
    if (info_.killed) {
      error = cancelled_ ? stopped : timed_out;  // the report's row says what the console says
    } else if (is_stop_sentinel(T, -1)) {
      error = "sw.stop_user() is for users; " + std::string(what) + " has none to stop";
    } else if (status == LUA_ERRMEM) {
      error = "not enough memory (the Lua heap is limited to " +
              std::to_string(engine_.options().heap_limit >> 20) + " MiB)";
    } else {
      error = error_message(T);
    }
    lua_settop(T, 1);
    const auto us =
        std::chrono::duration_cast<std::chrono::microseconds>(green::clock::now() - start);
    const std::string name = file_ + ":" + what;
    stats_.entry(script_error_type, name).record(static_cast<std::uint64_t>(us.count()), 0, true);
    stats_.record_error(script_error_type, name, error);
  });
  // Waits for the thread (a kill of it, cancel, ends the wait; one out of join() is ours).
  const auto join = [this] { running_.join(); };
  const bool ended = green::with_timeout(limit, join);
  if (!ended) {
    // A request the limit cuts short was sent, and maybe served: it counts, as a failure.
    if (!returned_) info_.cut_reason = "cancelled: " + timed_out;
    running_.kill();
    join();
    if (!returned_) call_error_ = timed_out;
  } else if (cancelled_ && !returned_) {
    call_error_ = stopped;
  }
  running_ = {};
  context_.end_children();
  context_.settle();
  std::string error = std::move(call_error_);
  if (error.empty()) return;
  // Lua's messages start with "main.lua:12:"; the others get the file's name.
  if (error.rfind(file_ + ":", 0) != 0) error = file_ + ": " + error;
  throw script_error(error);
}

std::string main_script::setup() {
  if (!has_setup()) return {};
  call(functions_.setup, "setup", settings_.setup_timeout, true);
  lua_State* L = engine_.state();
  lua_rawgeti(L, LUA_REGISTRYINDEX, data_ref_);
  try {
    std::string bytes = lua_isnil(L, -1) ? std::string() : encode_setup_data(L, -1);
    lua_pop(L, 1);
    return bytes;
  } catch (const std::invalid_argument& e) {
    lua_settop(L, 0);
    throw script_error(file_ +
                       ": setup() must return strings, numbers, booleans and tables of them (what "
                       "reaches the users): " +
                       e.what());
  }
}

void main_script::teardown() {
  if (!has_teardown()) return;
  call(functions_.teardown, "teardown", settings_.teardown_timeout, false);
}

void main_script::cancel() {
  if (!running_.valid() || running_.dead()) return;
  cancelled_ = true;
  running_.kill();
}

stats::stats_table main_script::take_stats(const std::string& type) {
  const stats::stats_table recorded = stats_.take_delta();
  stats::stats_table out;
  // A request is a SETUP or TEARDOWN row ("SETUP  POST /login"); a Lua error stays a script
  // error, not a request ("LUA  SETUP main.lua:setup").
  const auto key_of = [&type](const std::string& method, const std::string& name) {
    if (stats::stats_table::is_script_error({method, name}))
      return stats::request_key{method, type + " " + name};
    return stats::request_key{type, method + " " + name};
  };
  for (const auto& [key, s] : recorded.entries())
    if (!s.empty()) {
      const auto k = key_of(key.method, key.name);
      out.entry(k.method, k.name).merge(s);
    }
  for (const auto& [key, n] : recorded.errors()) {
    const auto k = key_of(key.method, key.name);
    out.record_error(k.method, k.name, key.message, n);
  }
  return out;
}

}  // namespace swarmlet::script
