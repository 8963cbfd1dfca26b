#pragma once
// How a lua_CFunction of swarmlet is written: `guarded<impl>` turns the C++ exceptions impl
// throws (a kill, a timeout, a socket error) into Lua errors raised after impl's frame is gone,
// and lets Lua's own errors (foreign exceptions to C++) and Boost's forced unwind go on.
// `park_scope` brackets every call that may park the green thread.
#include <cstdint>
#include <exception>
#include <lua.hpp>
#include <string>

#include "common/green/errors.hpp"
#include "common/green/hub.hpp"
#include "engine.hpp"
#include "lua_reentry.hpp"
#include "swarmlet_module.hpp"

namespace swarmlet::script {

/// The message of a kill, as a Lua error: the runner recognises the thread by its info.
inline constexpr const char* killed_message = "green thread killed";

/// Around a call that may park: refuses to start in a killed thread, and on the way back, if
/// it parked, makes this thread the engine's current one again with a fresh time slice. One
/// that came straight back (an event already set, a dead thread waited for) keeps the slice:
/// renewed, a loop of such calls ran past scripting.run_limit with the hub frozen for good.
class park_scope {
 public:
  explicit park_scope(lua_State* L)
      : engine_(engine::of(L)),
        self_(engine_.current()),
        hub_(green::hub::current()),
        switches_(hub_ != nullptr ? hub_->switches() : 0) {
    if (self_ != nullptr && self_->killed) throw green::green_exit{};
  }
  ~park_scope() {
    if (hub_ == nullptr || hub_->switches() != switches_) engine_.resume(self_);
  }
  park_scope(const park_scope&) = delete;
  park_scope& operator=(const park_scope&) = delete;

 private:
  engine& engine_;
  thread_info* self_;
  const green::hub* hub_;
  std::uint64_t switches_;
};

template <int (*Impl)(lua_State*)>
int guarded(lua_State* L) {
  // Each may call Lua again (an options table's __index, a __tostring), and so nest.
  check_c_stack(L);
  try {
    return Impl(L);
  } catch (const green::green_exit&) {
    if (thread_info* t = engine::of(L).current()) t->killed = true;
    lua_pushstring(L, killed_message);
  } catch (const green::timeout_error& e) {
    note_runner_timeout(L, e.source());
    luaL_where(L, 1);
    lua_pushstring(L, e.what());  // "timed out", or what the limit bounded
    lua_concat(L, 2);
  } catch (const green::hub_misuse&) {
    // Only a script's top level runs without a hub (the files are loaded, and checked, before
    // any user runs): the hub's own words would mean nothing to the script's author.
    luaL_where(L, 1);
    lua_pushstring(L,
                   "this waits, and nothing may wait while the script file loads: call it in a "
                   "task, on_start, on_stop or setup()");
    lua_concat(L, 2);
  } catch (const std::exception& e) {
    luaL_where(L, 1);
    lua_pushstring(L, e.what());
    lua_concat(L, 2);
  }
  // Anything else is a Lua error or Boost's forced unwind: neither may be stopped here.
  return lua_error(L);
}

}  // namespace swarmlet::script
