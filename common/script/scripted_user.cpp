#include "scripted_user.hpp"

#include <algorithm>
#include <chrono>

#include "common/stats/exception_table.hpp"
#include "common/stats/stats_table.hpp"
#include "lua_guard.hpp"
#include "lua_reentry.hpp"
#include "lua_seconds.hpp"
#include "swarmlet_module.hpp"
#include "traceback.hpp"
#include "ws_api.hpp"

namespace swarmlet::script {
namespace {

http::url base_url(const std::string& target) {
  std::string error;
  auto u = http::parse_url(target, error);
  if (!u) throw script_error("the target of u.http: " + error);
  return *u;
}

void push_vars(lua_State* L, const std::map<std::string, std::string>& vars) {
  lua_createtable(L, 0, static_cast<int>(vars.size()));
  for (const auto& [k, v] : vars) {
    lua_pushlstring(L, v.data(), v.size());
    lua_setfield(L, -2, k.c_str());
  }
}

}  // namespace

scripted_user::scripted_user(engine& e, const user_class& cls, user_settings settings)
    : engine_(e), class_(cls), settings_(std::move(settings)) {
  base_url(settings_.target);  // a bad target is refused now, not at the first request
  context_.id = settings_.id;
  context_.make_client = [this] {
    return std::make_unique<http::client>(base_url(settings_.target), settings_.client,
                                          settings_.tls, context_.cookies);
  };
  context_.make_websocket = [this](std::size_t max_message) {
    http::websocket_options o;
    o.connect_timeout = settings_.client.connect_timeout;
    o.io_timeout = settings_.client.read_timeout;
    o.user_agent = settings_.client.user_agent;
    o.server_name = settings_.client.server_name;
    o.max_message = max_message;
    o.jar = context_.cookies;
    return std::make_unique<http::websocket>(base_url(settings_.target), o, settings_.tls,
                                             settings_.client.verify_tls);
  };
  context_.websocket_timeout = settings_.client.read_timeout;
  context_.stop = settings_.stop;
  context_.stopping = settings_.stopping;
  context_.stats = settings_.stats;
  context_.exceptions = settings_.exceptions;
  info_.user = &context_;
  lua_State* L = engine_.state();
  if (lua_cpcall(L, &scripted_user::make, this) != 0) {
    std::string message = error_message(L);
    lua_pop(L, 1);
    throw script_error("cannot make a scripted user: " + message);
  }
  std::vector<int> weights;
  for (const auto& t : class_.tasks) weights.push_back(t.weight);
  pick_ = std::discrete_distribution<std::size_t>(weights.begin(), weights.end());
}

scripted_user::~scripted_user() {
  context_.end_children();
  context_.settle();
  if (http_ != nullptr) http_->user = nullptr;
  if (ws_ != nullptr) ws_->user = nullptr;
  close_websockets(context_);
  lua_State* L = engine_.state();
  luaL_unref(L, LUA_REGISTRYINDEX, u_ref_);
  luaL_unref(L, LUA_REGISTRYINDEX, thread_ref_);
}

int scripted_user::make(lua_State* L) {
  auto* self = static_cast<scripted_user*>(lua_touserdata(L, 1));
  lua_State* T = lua_newthread(L);
  mark_green_thread(L);
  self->thread_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
  self->thread_ = T;
  lua_pushlightuserdata(T, self);
  lua_pushcclosure(T, &scripted_user::message_handler, 1);  // stays at index 1 of T
  lua_createtable(L, 0, 6);
  lua_pushnumber(L, static_cast<lua_Number>(self->settings_.id));
  lua_setfield(L, -2, "id");
  push_vars(L, self->settings_.vars);
  lua_setfield(L, -2, "vars");
  engine::of(L).push_setup_data(L);
  lua_setfield(L, -2, "setup");
  self->http_ = push_http_object(L, &self->context_);
  lua_setfield(L, -2, "http");
  self->ws_ = push_ws_factory(L, &self->context_);
  lua_setfield(L, -2, "ws");
  self->u_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

int scripted_user::message_handler(lua_State* L) {
  if (is_stop_sentinel(L, 1)) return 1;
  auto* self = static_cast<scripted_user*>(lua_touserdata(L, lua_upvalueindex(1)));
  // Level 1: the frame that raised (level 0 is this handler). A kill is no exception of the
  // script's: its stack is not worth the walk.
  if (!self->info_.killed) self->traceback_ = traceback(L, 1);
  // A task's error ends here, so an object the script raised (error({code = 503})) becomes
  // its description, with the line that raised it, as a string would have.
  const std::string message = with_position(L, error_message(L, 1));
  lua_pushlstring(L, message.data(), message.size());
  return 1;
}

bool scripted_user::call(int fn, const std::string& name, int results) {
  lua_State* T = thread_;
  lua_settop(T, 1);
  lua_rawgeti(T, LUA_REGISTRYINDEX, fn);
  lua_rawgeti(T, LUA_REGISTRYINDEX, u_ref_);
  engine_.resume(&info_);
  traceback_.clear();
  const auto start = green::clock::now();
  const int status = lua_pcall(T, 1, results, 1);
  context_.settle();
  if (status == 0) return true;
  if (info_.killed) {
    lua_settop(T, 1);
    throw green::green_exit{};
  }
  if (is_stop_sentinel(T, -1)) {
    lua_settop(T, 1);
    return true;
  }
  std::string message = error_message(T);
  lua_settop(T, 1);
  if (status == LUA_ERRMEM) {
    message = class_.file + ": not enough memory (the Lua heap of this hub thread is limited to " +
              std::to_string(engine_.options().heap_limit >> 20) + " MiB)";
  }
  // A task stopped for its memory left its garbage: it must not fail the next task.
  if (engine_.heap_bytes() > engine_.options().heap_limit / 2) engine_.collect_garbage();
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(green::clock::now() - start);
  count_error(name, message, static_cast<std::uint64_t>(us.count()));
  return false;
}

void scripted_user::count_error(const std::string& name, const std::string& message,
                                std::uint64_t us) {
  if (stats::stats_table* table = engine_.stats_of(&context_)) {
    table->entry(script_error_type, name).record(us, 0, true);
    table->record_error(script_error_type, name, message);
  }
  if (stats::exception_table* exceptions = engine_.exceptions_of(&context_))
    exceptions->record(message, traceback_);
}

bool scripted_user::start() {
  if (class_.on_start == LUA_NOREF) return true;
  return call(class_.on_start, class_.file + ":on_start");
}

void scripted_user::run_task(std::size_t index, std::optional<green::time_point> intended) {
  const auto& t = class_.tasks.at(index);
  if (intended)
    context_.start_lag = std::max(
        std::chrono::microseconds::zero(),
        std::chrono::duration_cast<std::chrono::microseconds>(green::clock::now() - *intended));
  call(t.fn, t.name);
  context_.start_lag.reset();
}

void scripted_user::set_vars(const std::map<std::string, std::string>& vars) {
  settings_.vars = vars;
  lua_State* L = engine_.state();
  if (lua_cpcall(L, &scripted_user::replace_vars, this) != 0) {
    std::string message = error_message(L);
    lua_pop(L, 1);
    throw script_error(class_.file + ": cannot set u.vars: " + message);
  }
}

int scripted_user::replace_vars(lua_State* L) {
  auto* self = static_cast<scripted_user*>(lua_touserdata(L, 1));
  lua_rawgeti(L, LUA_REGISTRYINDEX, self->u_ref_);
  push_vars(L, self->settings_.vars);
  lua_setfield(L, -2, "vars");
  return 0;
}

std::size_t scripted_user::pick_task(config::user_random& rng) {
  return class_.tasks.size() == 1 ? 0 : pick_(rng);
}

void scripted_user::end_spawned_threads() {
  if (spawned_threads_ended_) return;
  spawned_threads_ended_ = true;
  // Told to stop as at the test's end, each thread gets its response, then ends at its next
  // request or wait.
  context_.stop_and_await_requests(settings_.client.read_timeout);
  // The rest go now, before on_stop: during it the user's stop ends no request or wait, and a
  // thread woken then (from h:wait(), say) sent requests that its end cut, uncounted. Their
  // errors count after on_stop, which may still take them (h:wait()).
  context_.kill_children();
}

void scripted_user::finish() {
  end_spawned_threads();
  context_.finishing = true;
  if (class_.on_stop != LUA_NOREF) call(class_.on_stop, class_.file + ":on_stop");
}

scripted_user::wait_answer scripted_user::class_wait() {
  if (class_.wait == LUA_NOREF) return {};
  lua_State* T = thread_;
  lua_rawgeti(T, LUA_REGISTRYINDEX, class_.wait);
  const bool is_number = lua_type(T, -1) == LUA_TNUMBER;
  const lua_Number value = lua_tonumber(T, -1);
  lua_pop(T, 1);
  if (is_number) return {false, seconds(value)};
  const std::string name = class_.file + ":wait";
  if (!call(class_.wait, name, 1)) return {true, std::nullopt};
  // A stop (the test's, or sw.stop_user()) ended the function where it parked: call() took the
  // sentinel and left nothing above the handler. The user stops, quietly, as from a task.
  if (lua_gettop(T) < 2) return {true, std::nullopt};
  const bool seconds_given = lua_type(T, 2) == LUA_TNUMBER && lua_tonumber(T, 2) >= 0;
  const lua_Number s = lua_tonumber(T, 2);
  const std::string got = seconds_given ? "" : luaL_typename(T, 2);
  lua_settop(T, 1);
  if (!seconds_given) {
    // nil (a missing return), NaN or a negative number was no wait at all, silently. The row
    // is the name already: the message does not say it again.
    count_error(name,
                "wait(u) must return seconds (a number >= 0), got " +
                    (got == "number" ? std::string("NaN or a negative number") : got) +
                    "; the user stops",
                0);
    return {true, std::nullopt};
  }
  return {false, seconds(s)};
}

}  // namespace swarmlet::script
