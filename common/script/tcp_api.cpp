// sw.connect(host, port, {tls =, timeout =, verify =}): a green TCP (or TLS) client socket for
// protocols swarmlet does not speak itself; every call parks only the calling green thread.
#include <memory>
#include <string>

#include "common/green/socket.hpp"
#include "common/green/ssl.hpp"
#include "lua_guard.hpp"
#include "lua_options.hpp"
#include "lua_seconds.hpp"
#include "lua_udata.hpp"
#include "swarmlet_module.hpp"

namespace swarmlet::script {
namespace {

constexpr const char* socket_type = "swarmlet.socket";
constexpr std::size_t max_read = 1 << 20;

struct lua_socket final : hub_bound {
  green::socket plain;
  std::unique_ptr<green::tls_stream> tls;
  std::string buffered;  // read but not yet returned (readline reads ahead)
  bool open = true;
  engine* home;

  explicit lua_socket(engine& e) : home(&e) { home->adopt(this); }
  lua_socket(const lua_socket&) = delete;
  lua_socket& operator=(const lua_socket&) = delete;
  ~lua_socket() { home->forget(this); }
  void close_now() noexcept override {
    tls.reset();
    plain.close();
    open = false;
  }

  green::stream& stream() {
    if (!open) throw std::runtime_error("the socket is closed");
    if (tls) return *tls;
    return plain;
  }
  /// Reads once more into the buffer; false at end of stream.
  bool fill() {
    char chunk[16 * 1024];
    const std::size_t n = stream().read_some(chunk);
    buffered.append(chunk, n);
    return n > 0;
  }
};

bool flag(lua_State* L, int opts, const char* name, bool fallback) {
  lua_getfield(L, opts, name);
  const bool v = lua_isnil(L, -1) ? fallback : lua_toboolean(L, -1) != 0;
  lua_pop(L, 1);
  return v;
}

int l_connect(lua_State* L) {
  end_task_if_stopping(L);
  const std::string host = luaL_checkstring(L, 1);
  const lua_Integer port = luaL_checkinteger(L, 2);
  luaL_argcheck(L, port > 0 && port < 65536, 2, "a port is 1 to 65535");
  bool tls = false, verify = true;
  std::optional<green::duration> timeout = std::chrono::seconds(5);
  if (!lua_isnoneornil(L, 3)) {
    luaL_checktype(L, 3, LUA_TTABLE);
    check_option_keys(L, 3, "sw.connect", {"tls", "verify", "timeout"});
    tls = flag(L, 3, "tls", false);
    verify = flag(L, 3, "verify", true);
    lua_getfield(L, 3, "timeout");
    if (!lua_isnil(L, -1)) timeout = limit_seconds_at(L, -1, "sw.connect's timeout");
    lua_pop(L, 1);
  }
  lua_socket* s = push_udata<lua_socket>(L, socket_type, engine::of(L));
  park_scope p(L);
  s->plain = green::socket::connect(host, static_cast<std::uint16_t>(port), timeout);
  s->plain.set_timeout(timeout);
  if (tls) {
    const auto context = green::tls_context::client(verify);
    try {
      s->tls = std::make_unique<green::tls_stream>(
          green::wrap_ssl(std::move(s->plain), context, green::tls_role::client, host));
    } catch (const green::tls_error& e) {  // named as the HTTP client names it
      throw green::tls_error("TLS with " + host + ":" + std::to_string(port) + ": " + e.what());
    }
  }
  return 1;
}

int l_send(lua_State* L) {
  lua_socket* s = check_udata<lua_socket>(L, 1, socket_type);
  std::size_t len = 0;
  const char* data = luaL_checklstring(L, 2, &len);
  park_scope p(L);
  s->stream().write_all(std::string_view(data, len));
  lua_pushinteger(L, static_cast<lua_Integer>(len));
  return 1;
}

/// s:recv(n): up to n bytes as soon as some arrive; "" once the peer closed.
int l_recv(lua_State* L) {
  lua_socket* s = check_udata<lua_socket>(L, 1, socket_type);
  const lua_Integer n = luaL_optinteger(L, 2, 16 * 1024);
  luaL_argcheck(L, n > 0 && static_cast<std::size_t>(n) <= max_read, 2, "recv takes 1 to 1 MiB");
  {
    park_scope p(L);
    if (s->buffered.empty()) s->fill();
  }
  const std::size_t take = std::min(s->buffered.size(), static_cast<std::size_t>(n));
  lua_pushlstring(L, s->buffered.data(), take);
  s->buffered.erase(0, take);
  return 1;
}

/// s:readline(): the next line without its "\n" (or "\r\n"); nil once the stream ended.
int l_readline(lua_State* L) {
  lua_socket* s = check_udata<lua_socket>(L, 1, socket_type);
  std::size_t end = std::string::npos;
  {
    park_scope p(L);
    while ((end = s->buffered.find('\n')) == std::string::npos && s->buffered.size() < max_read)
      if (!s->fill()) break;
  }
  if (end == std::string::npos) {
    if (s->buffered.empty()) {
      lua_pushnil(L);
      return 1;
    }
    end = s->buffered.size();  // the last line, without a newline, or one too long
  }
  std::size_t len = end;
  if (len > 0 && end < s->buffered.size() && s->buffered[len - 1] == '\r') --len;
  lua_pushlstring(L, s->buffered.data(), len);
  s->buffered.erase(0, std::min(end + 1, s->buffered.size()));
  return 1;
}

int l_close(lua_State* L) {
  lua_socket* s = check_udata<lua_socket>(L, 1, socket_type);
  park_scope p(L);  // TLS sends close_notify
  if (s->tls) s->tls->close();
  s->plain.close();
  s->tls.reset();
  s->open = false;
  return 0;
}

}  // namespace

void add_tcp_api(lua_State* L) {
  static const luaL_Reg methods[] = {{"send", guarded<l_send>},
                                     {"recv", guarded<l_recv>},
                                     {"readline", guarded<l_readline>},
                                     {"close", guarded<l_close>},
                                     {nullptr, nullptr}};
  register_udata<lua_socket>(L, socket_type, methods);
  lua_pushcfunction(L, guarded<l_connect>);
  lua_setfield(L, -2, "connect");
}

}  // namespace swarmlet::script
