#pragma once
// u.ws: a user's WebSockets in Lua. u.ws:connect(path [, opts]) opens one (path on the target's
// server, or a ws:// / wss:// URL; opts name, headers, max_message) and returns it, or nil and
// the error; ws:send(text [, {binary = true}]) returns true or nil, err; ws:recv([timeout])
// returns the next message, or nil, err; ws:close(). Every call parks only its green thread.
// Recorded as requests of type WS, as YAML users' are: the handshake under the name (default:
// the path), each send under "NAME send" (its size, the time to write it), each message under
// "NAME recv" (its size, the time since the send it answers, else since recv was called); a
// failure (handshake, timeout, the server's close, a bad frame) is a counted failure too.
#include <lua.hpp>

namespace swarmlet::script {

struct user_context;

/// The userdata behind u.ws; `user` is cleared when the user ends, after which connect raises
/// an error instead of touching a user that is gone.
struct ws_factory {
  user_context* user = nullptr;
};

/// Pushes a new u.ws for `user`.
ws_factory* push_ws_factory(lua_State* L, user_context* user);
/// Closes the WebSockets `user` still has open (it ends); their Lua objects then fail as closed.
void close_websockets(user_context& user);

}  // namespace swarmlet::script
