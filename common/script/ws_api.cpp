#include "ws_api.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "common/config/scenario.hpp"
#include "common/green/clock.hpp"
#include "common/stats/stats_table.hpp"
#include "lua_guard.hpp"
#include "lua_options.hpp"
#include "lua_seconds.hpp"
#include "lua_udata.hpp"
#include "swarmlet_module.hpp"
#include "user_context.hpp"

namespace swarmlet::script {

/// One WebSocket of a user, as its Lua object holds it.
struct ws_object {
  std::unique_ptr<http::websocket> ws;
  user_context* user = nullptr;  // null once the user ended
  std::string name, send_name, recv_name;
  /// The last send not yet answered by a message: a message's time counts from it.
  std::optional<green::time_point> unanswered_send;
  http::ws_message message;  // reused
  bool busy = false;         // a green thread of the user is in a call on it

  ~ws_object() { forget(); }
  /// Leaves the user's list (the object is collected, or the user ends).
  void forget() noexcept {
    if (user == nullptr) return;
    auto& list = user->websockets;
    list.erase(std::remove(list.begin(), list.end(), this), list.end());
    user = nullptr;
  }
};

namespace {

constexpr const char* factory_type = "swarmlet.ws_factory";
constexpr const char* ws_type = "swarmlet.websocket";
constexpr lua_Integer max_message_limit = lua_Integer{1} << 30;

std::string failure_of(const http::ws_outcome& o) {
  return std::string(http::to_string(o.error)) + ": " + o.message;
}

/// Records one WS request of `user` (when stats are kept: on a worker).
void record(lua_State* L, user_context* user, const std::string& name, green::time_point start,
            std::uint64_t bytes, const std::string& failure) {
  stats::stats_table* table = engine::of(L).stats_of(user);
  if (table == nullptr || user == nullptr) return;
  const auto us = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(green::clock::now() - start).count());
  user->settle();  // a response judged by the script comes first, in order
  user->entry_of(*table, "WS", name).record(us, bytes, !failure.empty());
  if (!failure.empty()) table->record_error("WS", name, failure);
}

/// Pushes nil and the failure's text; returns 2 (Lua's `nil, err`).
int push_failure(lua_State* L, const std::string& failure) {
  lua_pushnil(L);
  lua_pushlstring(L, failure.data(), failure.size());
  return 2;
}

/// u.ws:connect(path [, {name =, headers =, max_message =}])
int l_connect(lua_State* L) {
  ws_factory* f = check_udata<ws_factory>(L, 1, factory_type);
  if (f->user == nullptr || !f->user->make_websocket)
    return luaL_error(L, "this u.ws belongs to a user that has ended");
  end_task_if_stopping(L);
  user_context& user = *f->user;
  const std::string target = luaL_checkstring(L, 2);
  std::string name = target;
  http::header_list headers;
  std::size_t max_message = std::size_t{1} << 20;
  if (!lua_isnoneornil(L, 3)) {
    luaL_checktype(L, 3, LUA_TTABLE);
    check_option_keys(L, 3, "u.ws:connect", {"name", "headers", "max_message"});
    lua_getfield(L, 3, "name");
    if (!lua_isnil(L, -1)) name = text_at(L, -1, "opts.name");
    lua_pop(L, 1);
    lua_getfield(L, 3, "max_message");
    if (!lua_isnil(L, -1)) {
      const lua_Integer n = luaL_checkinteger(L, -1);
      if (n < 1 || n > max_message_limit)
        return luaL_error(L, "opts.max_message is 1 to %d bytes",
                          static_cast<int>(max_message_limit));
      max_message = static_cast<std::size_t>(n);
    }
    lua_pop(L, 1);
    lua_getfield(L, 3, "headers");
    add_header_table(L, headers);
    lua_pop(L, 1);
  }
  ws_object* w = push_udata<ws_object>(L, ws_type);
  w->ws = user.make_websocket(max_message);
  w->user = &user;
  user.websockets.push_back(w);
  w->name = name;
  w->send_name = name + " send";
  w->recv_name = name + " recv";
  const auto start = green::clock::now();
  http::ws_outcome r;
  {
    park_scope p(L);
    r = w->ws->open(target, headers);
  }
  const std::string failure = r.ok() ? std::string() : failure_of(r);
  record(L, w->user, w->name, start, 0, failure);
  if (!r.ok()) return push_failure(L, failure);
  return 1;
}

ws_object& open_object(lua_State* L) {
  ws_object* w = check_udata<ws_object>(L, 1, ws_type);
  if (!w->ws) luaL_error(L, "this WebSocket belongs to a user that has ended");
  // Its buffers, its framing state and its socket's timeout serve one call at a time.
  if (w->busy)
    luaL_error(L,
               "this WebSocket is in use by another green thread of the user (one call at a "
               "time: open a WebSocket per green thread)");
  return *w;
}

/// Marks a WebSocket busy for the length of one call.
class busy_scope {
 public:
  explicit busy_scope(ws_object& w) : w_(w) { w_.busy = true; }
  ~busy_scope() { w_.busy = false; }
  busy_scope(const busy_scope&) = delete;
  busy_scope& operator=(const busy_scope&) = delete;

 private:
  ws_object& w_;
};

/// ws:send(text [, {binary = true}]): true, or nil and the error.
int l_send(lua_State* L) {
  end_task_if_stopping(L);
  ws_object& w = open_object(L);
  std::size_t len = 0;
  const char* data = luaL_checklstring(L, 2, &len);
  bool binary = false;
  if (!lua_isnoneornil(L, 3)) {
    luaL_checktype(L, 3, LUA_TTABLE);
    check_option_keys(L, 3, "ws:send", {"binary"});
    lua_getfield(L, 3, "binary");
    binary = lua_toboolean(L, -1) != 0;
    lua_pop(L, 1);
  }
  const auto start = green::clock::now();
  http::ws_outcome r;
  {
    busy_scope b(w);
    park_scope p(L);
    r = w.ws->send(std::string_view(data, len), binary);
  }
  const std::string failure = r.ok() ? std::string() : failure_of(r);
  record(L, w.user, w.send_name, start, len, failure);
  if (!r.ok()) return push_failure(L, failure);
  w.unanswered_send = start;
  lua_pushboolean(L, 1);
  return 1;
}

/// ws:recv([timeout seconds]): the next message, or nil and the error.
int l_recv(lua_State* L) {
  ws_object& w = open_object(L);
  green::duration timeout =
      w.user != nullptr ? w.user->websocket_timeout : green::duration(std::chrono::seconds(30));
  if (!lua_isnoneornil(L, 2)) timeout = wait_seconds_at(L, 2, "ws:recv", "timeout");
  const auto called = green::clock::now();
  http::ws_outcome r;
  {
    busy_scope b(w);
    park_scope p(L);
    r = w.ws->receive(w.message, called + timeout);
  }
  const auto start = w.unanswered_send.value_or(called);
  std::string failure;
  if (!r.ok()) {
    failure =
        r.error == http::ws_error::timeout
            ? "timeout: no message within " +
                  std::to_string(
                      std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count()) +
                  " ms"
            : failure_of(r);
  }
  record(L, w.user, w.recv_name, start, r.ok() ? w.message.data.size() : 0, failure);
  if (!r.ok()) return push_failure(L, failure);
  w.unanswered_send.reset();
  lua_pushlstring(L, w.message.data.data(), w.message.data.size());
  return 1;
}

/// ws:close([code]): the closing handshake (bounded: 2 s).
int l_close(lua_State* L) {
  ws_object& w = open_object(L);
  const lua_Integer code = luaL_optinteger(L, 2, 1000);
  luaL_argcheck(L, config::sendable_close_code(code), 2,
                "a close code is 1000-1003, 1007-1014 or 3000-4999 (RFC 6455 7.4)");
  busy_scope b(w);
  park_scope p(L);
  w.ws->close(static_cast<std::uint16_t>(code), green::clock::now() + std::chrono::seconds(2));
  return 0;
}

}  // namespace

ws_factory* push_ws_factory(lua_State* L, user_context* user) {
  static const luaL_Reg ws_methods[] = {{"send", guarded<l_send>},
                                        {"recv", guarded<l_recv>},
                                        {"close", guarded<l_close>},
                                        {nullptr, nullptr}};
  register_udata<ws_object>(L, ws_type, ws_methods);
  static const luaL_Reg factory_methods[] = {{"connect", guarded<l_connect>}, {nullptr, nullptr}};
  register_udata<ws_factory>(L, factory_type, factory_methods);
  return push_udata<ws_factory>(L, factory_type, ws_factory{user});
}

void close_websockets(user_context& user) {
  // Each object leaves the list as it is closed: take the list first.
  const std::vector<ws_object*> open = std::move(user.websockets);
  user.websockets.clear();
  for (ws_object* w : open) {
    w->user = nullptr;
    w->ws.reset();  // closes the socket, never parks: the user may be ending by a kill
  }
}

}  // namespace swarmlet::script
