#pragma once
// u.http: a user's HTTP client in Lua. get/post/put/patch/delete/head(path, opts) and
// request(method, path, opts); opts name, headers, query, body, json, timeout, catch. The
// response is a table: status, body, headers (case-insensitive), elapsed_ms, error (transport
// failures), r:json(), and with catch = true, r:success() / r:failure(msg).
// Requests are recorded in the hub thread's stats like those of YAML users: a transport error
// or a status of 400 or more is a failure, unless the script judges it itself (catch).
#include <lua.hpp>

namespace swarmlet::script {

struct user_context;

/// The userdata behind u.http; `user` is cleared when the user ends, after which its methods
/// raise an error instead of touching a client that is gone.
struct http_object {
  user_context* user = nullptr;
};

/// Pushes a new u.http for `user`.
http_object* push_http_object(lua_State* L, user_context* user);

}  // namespace swarmlet::script
