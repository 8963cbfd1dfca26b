#pragma once
// Durations a script gives, in seconds (Lua numbers): the waits (sleeps, delays and the
// timeouts of waits), which count a time already past as 0, and the time limits of requests
// and connections, which must be above 0. Anything but a number (a string such as "0.5", nil,
// NaN) is a Lua error naming what was wrong.
#include <lua.hpp>

#include "common/green/clock.hpp"

namespace swarmlet::script {

/// Seconds as a hub duration: negative counts as zero, and more than a billion seconds (31
/// years, infinity too) as a billion: a hub duration holds ~292 years, and sw.sleep(1e10)
/// overflowed into the past and returned at once. NaN counts as zero: the callers refuse it
/// first.
green::duration seconds(lua_Number s);

/// The wait at `index` (a sleep, a delay, the timeout of a wait): a number of seconds, a
/// negative one counting as 0 (`deadline - sw.now()` once the deadline passed). Raises a Lua
/// error otherwise, naming the function and its parameter: "sw.sleep: s must be a number of
/// seconds, got NaN".
green::duration wait_seconds_at(lua_State* L, int index, const char* function, const char* param);

/// The time limit at `index` of a request or a connection: a number of seconds above 0 (nothing
/// could succeed within 0 s). Raises a Lua error otherwise: "opts.timeout must be seconds above
/// 0, got -1".
green::duration limit_seconds_at(lua_State* L, int index, const char* what);

}  // namespace swarmlet::script
