// sw.sleep, sw.spawn / sw.spawn_after (thread handles), sw.event, sw.queue, sw.semaphore,
// sw.pool and sw.timeout: the hub's own primitives, each call that may park wrapped in a
// park_scope and every C++ exception turned into a Lua error by guarded<>.
#include <cctype>
#include <functional>
#include <memory>
#include <string>

#include "common/green/event.hpp"
#include "common/green/green_pool.hpp"
#include "common/green/operations.hpp"
#include "common/green/queue.hpp"
#include "common/green/semaphore.hpp"
#include "common/green/timeout.hpp"
#include "lua_guard.hpp"
#include "lua_reentry.hpp"
#include "lua_seconds.hpp"
#include "lua_udata.hpp"
#include "scripted_user.hpp"
#include "spawned_error.hpp"
#include "swarmlet_module.hpp"
#include "traceback.hpp"
#include "user_context.hpp"

namespace swarmlet::script {
namespace {

constexpr const char* thread_type = "swarmlet.thread";
constexpr const char* event_type = "swarmlet.event";
constexpr const char* queue_type = "swarmlet.queue";
constexpr const char* semaphore_type = "swarmlet.semaphore";
constexpr const char* pool_type = "swarmlet.pool";

/// A value kept for later in the registry (what events and queues hold).
int keep(lua_State* L, int index) {
  lua_pushvalue(L, index);
  return luaL_ref(L, LUA_REGISTRYINDEX);
}
void push_kept(lua_State* L, int ref) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
}
void release_kept(lua_State* L, int ref) {
  luaL_unref(L, LUA_REGISTRYINDEX, ref);
}

// ---- green threads -------------------------------------------------------------------------

/// A function running on its own Lua thread in its own green thread. Its results (or error)
/// stay on its Lua thread's stack (above its message handler, at 1), anchored in the registry
/// until nothing refers to it. Its error is kept (spawned_error) for a wait to take, and
/// counted if none ever does.
struct child {
  engine* owner = nullptr;
  lua_State* thread = nullptr;
  int ref = LUA_NOREF;
  user_context* user = nullptr;
  int nargs = 0;
  int status = 0;
  bool killed = false;
  bool killed_by_script = false;  ///< by h:kill() (not by its user's end)
  /// Lua collected the handle: nobody can wait for this thread any more.
  bool handle_collected = false;
  thread_info* info = nullptr;           ///< while it runs: h:kill() marks the kill as the script's
  std::string traceback;                 ///< of its error, from the message handler
  std::string where;                     ///< "file:line: " where an error object was raised
  std::shared_ptr<spawned_error> error;  ///< its error, when it ended with one nobody waited for

  ~child() {
    if (ref != LUA_NOREF) luaL_unref(owner->state(), LUA_REGISTRYINDEX, ref);
  }
  /// As a task's handler: the error's position, and the traceback where it was raised.
  static int message_handler(lua_State* L) {
    if (is_stop_sentinel(L, 1)) return 1;
    auto* self = static_cast<child*>(lua_touserdata(L, lua_upvalueindex(1)));
    self->traceback = script::traceback(L, 1);
    // A script's own object goes to h:wait() as it was raised (it is described only for its
    // count: keep_error()).
    if (lua_type(L, 1) != LUA_TSTRING) {
      self->where = script_position(L, 0);  // for its count, described as a task's error is
      return 1;
    }
    const std::string message = with_position(L, lua_tostring(L, 1));
    lua_pushlstring(L, message.data(), message.size());
    return 1;
  }
  void run() {
    thread_info info;
    info.user = user;
    this->info = &info;
    struct forget_info {
      thread_info*& info;
      ~forget_info() { info = nullptr; }
    } forget{this->info};
    owner->resume(&info);
    status = lua_pcall(thread, nargs, LUA_MULTRET, 1);
    if (user != nullptr) user->settle(&info);  // its last response, unless judged already
    killed = info.killed;
    if (killed) throw green::green_exit{};
    // Kept even with a wait parked on it: that wait takes it when it raises it, and a wait
    // killed before it could (h:kill(), its user's end) leaves it to be counted.
    if (status != 0 && !is_stop_sentinel(thread, -1)) keep_error();
  }
  /// The error the thread ended with: for a wait to take, else counted once (spawned_error).
  /// Described now, on this thread: an object's __tostring may be Lua that parks, which the count
  /// (at a handle's collection) could not run.
  void keep_error() {
    std::string message = error_message(thread);
    // An object (error({code = 503})) is described with the line that raised it, as a task's:
    // counted, it said only "error object is a table: {code = 503}".
    const auto colon = message.find(':');
    const bool placed = colon != std::string::npos && colon + 1 < message.size() &&
                        std::isdigit(static_cast<unsigned char>(message[colon + 1]));
    if (lua_type(thread, -1) != LUA_TSTRING && !placed) message = where + message;
    error = std::make_shared<spawned_error>(*owner, user, message, traceback);
    if (handle_collected) {
      error->count_if_untaken();
    } else if (user != nullptr) {
      user->keep_untaken(error);
    }
  }
};

/// A thread's handle, as Lua holds it. Collected, it counts the error its thread ended with
/// if no wait took it; a thread still running then counts its error when it ends.
struct thread_handle {
  std::shared_ptr<child> state;
  green::green_thread<void> thread;

  ~thread_handle() {
    if (!state) return;
    state->handle_collected = true;
    if (state->error) state->error->count_if_untaken();
  }
};

using launcher = std::function<green::green_thread<void>(std::function<void()>)>;

/// Starts the function at `first` with the arguments after it; pushes its handle.
int start_child(lua_State* L, int first, const launcher& launch) {
  luaL_checktype(L, first, LUA_TFUNCTION);
  const int top = lua_gettop(L);
  engine& e = engine::of(L);
  auto c = std::make_shared<child>();
  c->owner = &e;
  c->nargs = top - first;
  c->user = e.current() != nullptr ? e.current()->user : nullptr;
  c->thread = lua_newthread(L);
  mark_green_thread(L);
  c->ref = luaL_ref(L, LUA_REGISTRYINDEX);
  luaL_checkstack(c->thread, c->nargs + 2, "too many arguments to spawn");
  lua_pushlightuserdata(c->thread, c.get());
  lua_pushcclosure(c->thread, &child::message_handler, 1);  // stays at index 1
  for (int i = first; i <= top; ++i) lua_pushvalue(L, i);
  lua_xmove(L, c->thread, c->nargs + 1);
  thread_handle* h = push_udata<thread_handle>(L, thread_type);
  h->state = c;
  h->thread = launch([c] { c->run(); });
  if (c->user != nullptr) {
    auto& children = c->user->children;
    if (children.size() >= 64 && children.size() == children.capacity())
      std::erase_if(children, [](const auto& t) { return t.dead(); });
    children.push_back(h->thread);
  }
  return 1;
}

int l_spawn(lua_State* L) {
  return start_child(L, 1,
                     [](std::function<void()> body) { return green::spawn(std::move(body)); });
}

int l_spawn_after(lua_State* L) {
  const green::duration delay = wait_seconds_at(L, 1, "sw.spawn_after", "s");
  return start_child(L, 2, [delay](std::function<void()> body) {
    return green::spawn_after(delay, std::move(body));
  });
}

int l_thread_wait(lua_State* L) {
  thread_handle* h = check_udata<thread_handle>(L, 1, thread_type);
  {
    park_scope p(L);
    h->thread.join();  // a kill or a timeout out of it is this waiter's own
  }
  // In on_stop, a thread its user's end stopped or killed has nothing to give: the wait
  // (u.bg:wait() joining a background thread) returns nothing, rather than fail or end
  // on_stop quietly as the stop ends a task.
  const thread_info* t = engine::of(L).current();
  const bool in_its_users_on_stop =
      t != nullptr && t->user != nullptr && t->user == h->state->user && t->user->finishing;
  lua_State* T = h->state->thread;
  if (h->thread.killed()) {
    if (in_its_users_on_stop && !h->state->killed_by_script) return 0;
    return luaL_error(L, "the thread was killed");
  }
  if (h->state->status != 0 && is_stop_sentinel(T, -1) && in_its_users_on_stop) return 0;
  if (h->state->status != 0) {
    if (h->state->error) h->state->error->take();
    lua_pushvalue(T, -1);
    lua_xmove(T, L, 1);
    return lua_error(L);
  }
  const int n = lua_gettop(T) - 1;  // above the message handler
  luaL_checkstack(L, n, "too many results");
  for (int i = 2; i <= n + 1; ++i) {
    lua_pushvalue(T, i);
    lua_xmove(T, L, 1);
  }
  return n;
}

int l_thread_kill(lua_State* L) {
  thread_handle* h = check_udata<thread_handle>(L, 1, thread_type);
  park_scope p(L);
  if (!h->thread.dead()) h->state->killed_by_script = true;
  if (h->state->info != nullptr)
    h->state->info->cut_reason = "cancelled: its green thread was killed (h:kill())";
  h->thread.kill();
  return 0;
}

int l_thread_dead(lua_State* L) {
  lua_pushboolean(L, check_udata<thread_handle>(L, 1, thread_type)->thread.dead() ? 1 : 0);
  return 1;
}

int l_sleep(lua_State* L) {
  const green::duration d = wait_seconds_at(L, 1, "sw.sleep", "s");
  end_task_if_stopping(L);
  const thread_info* t = engine::of(L).current();
  green::event<>* stopping =
      t != nullptr && t->user != nullptr && !t->user->finishing ? t->user->stopping : nullptr;
  bool stopped = false;
  {
    park_scope p(L);
    if (stopping == nullptr || d <= green::duration::zero()) {
      green::sleep(d);
    } else {
      stopped = stopping->wait_for(d).has_value();
    }
  }
  if (stopped) {  // the user is stopping: its task ends here, quietly
    push_stop_sentinel(L);
    return lua_error(L);
  }
  return 0;
}

// ---- waits a stop ends -----------------------------------------------------------------------

/// Thrown into a green thread parked in parked_unless_stopping when its user must stop.
struct user_stopping {};

/// Runs `wait` (a wait of an event, a queue, a semaphore or a thread, which know nothing of the
/// user) in a park_scope, so that the user's stop ends it as it ends sw.sleep: a user parked on
/// an event nobody sends held the test's end until the drain bound (100 s), and its on_stop
/// never ran. False when the stop ended it (the caller then ends the task quietly). A wait that
/// needs no park (`ready` true) costs nothing more; a park costs a watcher green thread. In
/// on_stop (finishing) and outside users (setup), waits are the script's own.
template <class Ready, class Wait>
bool parked_unless_stopping(lua_State* L, Ready&& ready, Wait&& wait) {
  const thread_info* t = engine::of(L).current();
  green::event<>* stopping =
      t != nullptr && t->user != nullptr && !t->user->finishing ? t->user->stopping : nullptr;
  if (stopping == nullptr || ready()) {
    park_scope p(L);
    wait();
    return true;
  }
  if (stopping->ready()) return false;
  green::hub& h = green::hub::get();
  green::thread_record* self = h.current_thread();
  auto watcher = green::spawn([stopping, self, &h] {
    stopping->wait();
    // A kill already on its way wins.
    h.inject(self, std::make_exception_ptr(user_stopping{}), /*replace=*/false);
  });
  // The watcher goes without a switch (kill_soon): a switch here would run other users' Lua,
  // which moves the engine's current thread off this one, and would let a timeout or a kill
  // land after the wait took its item or unit. Killed before any other park, its injection
  // cannot reach a later one.
  try {
    park_scope p(L);
    wait();
  } catch (const user_stopping&) {
    return false;
  } catch (...) {
    watcher.kill_soon();
    throw;
  }
  watcher.kill_soon();
  return true;
}

/// Ends the task quietly, as a stop at sw.sleep does.
[[noreturn]] int end_task_for_stop(lua_State* L) {
  push_stop_sentinel(L);
  lua_error(L);
  std::abort();  // lua_error does not return
}

// ---- event ----------------------------------------------------------------------------------

struct lua_event {
  explicit lua_event(lua_State* L) : main(engine::of(L).state()) {}
  ~lua_event() { release_kept(main, value); }
  lua_State* main;
  green::event<> sent;
  int value = LUA_NOREF;
};

int l_event(lua_State* L) {
  push_udata<lua_event>(L, event_type, L);
  return 1;
}

int l_event_send(lua_State* L) {
  lua_event* e = check_udata<lua_event>(L, 1, event_type);
  if (e->sent.ready())
    return luaL_error(L, "event already sent: an event is sent once (use reset)");
  lua_settop(L, 2);
  e->value = keep(L, 2);
  e->sent.send();
  return 0;
}

int l_event_wait(lua_State* L) {
  lua_event* e = check_udata<lua_event>(L, 1, event_type);
  const bool limited = !lua_isnoneornil(L, 2);
  const green::duration timeout =
      limited ? wait_seconds_at(L, 2, "e:wait", "timeout") : green::duration{};
  bool got = true;
  const bool waited = parked_unless_stopping(
      L, [e] { return e->sent.ready(); },
      [&] {
        if (limited) {
          got = e->sent.wait_for(timeout).has_value();
        } else {
          e->sent.wait();
        }
      });
  if (!waited) end_task_for_stop(L);
  if (!got) {
    lua_pushnil(L);
    lua_pushstring(L, "timeout");
    return 2;
  }
  push_kept(L, e->value);
  return 1;
}

int l_event_ready(lua_State* L) {
  lua_pushboolean(L, check_udata<lua_event>(L, 1, event_type)->sent.ready() ? 1 : 0);
  return 1;
}

int l_event_reset(lua_State* L) {
  lua_event* e = check_udata<lua_event>(L, 1, event_type);
  release_kept(L, e->value);
  e->value = LUA_NOREF;
  e->sent.reset();
  return 0;
}

// ---- queue ----------------------------------------------------------------------------------

struct lua_queue {
  lua_queue(lua_State* L, std::size_t max) : main(engine::of(L).state()), items(max) {}
  ~lua_queue() {
    while (auto ref = items.get_nowait()) release_kept(main, *ref);
  }
  lua_State* main;
  green::queue<int> items;  // registry refs
};

int l_queue(lua_State* L) {
  const lua_Integer max = luaL_optinteger(L, 1, 0);
  luaL_argcheck(L, max >= 0, 1, "a queue's size is 0 (unbounded) or more");
  push_udata<lua_queue>(L, queue_type, L, static_cast<std::size_t>(max));
  return 1;
}

int l_queue_put(lua_State* L) {
  lua_queue* q = check_udata<lua_queue>(L, 1, queue_type);
  lua_settop(L, 3);
  const bool limited = !lua_isnil(L, 3);
  const green::duration timeout =
      limited ? wait_seconds_at(L, 3, "q:put", "timeout") : green::duration{};
  const int ref = keep(L, 2);
  bool put = true;
  bool waited = true;
  try {
    waited = parked_unless_stopping(
        L, [q] { return !q->items.full(); },
        [&] {
          if (limited) {
            put = q->items.put_for(ref, timeout);
          } else {
            q->items.put(ref);
          }
        });
  } catch (...) {
    release_kept(L, ref);
    throw;
  }
  if (!waited) {
    release_kept(L, ref);
    end_task_for_stop(L);
  }
  if (!put) {
    release_kept(L, ref);
    lua_pushboolean(L, 0);
    lua_pushstring(L, "timeout");
    return 2;
  }
  lua_pushboolean(L, 1);
  return 1;
}

int l_queue_get(lua_State* L) {
  lua_queue* q = check_udata<lua_queue>(L, 1, queue_type);
  const bool limited = !lua_isnoneornil(L, 2);
  const green::duration timeout =
      limited ? wait_seconds_at(L, 2, "q:get", "timeout") : green::duration{};
  std::optional<int> ref;
  const bool waited = parked_unless_stopping(
      L, [q] { return q->items.size() > 0; },
      [&] { ref = limited ? q->items.get_for(timeout) : std::optional<int>(q->items.get()); });
  if (!waited) end_task_for_stop(L);
  if (!ref) {
    lua_pushnil(L);
    lua_pushstring(L, "timeout");
    return 2;
  }
  push_kept(L, *ref);
  release_kept(L, *ref);
  return 1;
}

int l_queue_size(lua_State* L) {
  lua_pushinteger(L,
                  static_cast<lua_Integer>(check_udata<lua_queue>(L, 1, queue_type)->items.size()));
  return 1;
}

// ---- semaphore ------------------------------------------------------------------------------

struct lua_semaphore {
  explicit lua_semaphore(std::size_t n) : units(n) {}
  green::semaphore units;
};

int l_semaphore(lua_State* L) {
  const lua_Integer n = luaL_optinteger(L, 1, 1);
  luaL_argcheck(L, n >= 0, 1, "a semaphore starts with 0 units or more");
  push_udata<lua_semaphore>(L, semaphore_type, static_cast<std::size_t>(n));
  return 1;
}

int l_semaphore_acquire(lua_State* L) {
  lua_semaphore* s = check_udata<lua_semaphore>(L, 1, semaphore_type);
  std::optional<green::duration> timeout;
  if (!lua_isnoneornil(L, 2)) timeout = wait_seconds_at(L, 2, "s:acquire", "timeout");
  bool got = false;
  const bool waited = parked_unless_stopping(
      L, [s] { return s->units.balance() > 0; }, [&] { got = s->units.acquire(timeout); });
  if (!waited) end_task_for_stop(L);
  lua_pushboolean(L, got ? 1 : 0);
  return 1;
}

int l_semaphore_release(lua_State* L) {
  check_udata<lua_semaphore>(L, 1, semaphore_type)->units.release();
  return 0;
}

int l_semaphore_balance(lua_State* L) {
  lua_pushinteger(L, static_cast<lua_Integer>(
                         check_udata<lua_semaphore>(L, 1, semaphore_type)->units.balance()));
  return 1;
}

// ---- pool -----------------------------------------------------------------------------------

struct lua_pool {
  explicit lua_pool(std::size_t n) : threads(n) {}
  green::green_pool threads;
};

int l_pool(lua_State* L) {
  const lua_Integer n = luaL_optinteger(L, 1, 1000);
  luaL_argcheck(L, n >= 1, 1, "a pool runs at least one thread");
  push_udata<lua_pool>(L, pool_type, static_cast<std::size_t>(n));
  return 1;
}

int l_pool_spawn(lua_State* L) {
  lua_pool* p = check_udata<lua_pool>(L, 1, pool_type);
  park_scope scope(L);  // spawn parks while the pool is full
  return start_child(L, 2,
                     [p](std::function<void()> body) { return p->threads.spawn(std::move(body)); });
}

int l_pool_waitall(lua_State* L) {
  lua_pool* p = check_udata<lua_pool>(L, 1, pool_type);
  park_scope scope(L);
  p->threads.waitall();
  return 0;
}

int l_pool_running(lua_State* L) {
  lua_pushinteger(
      L, static_cast<lua_Integer>(check_udata<lua_pool>(L, 1, pool_type)->threads.running()));
  return 1;
}

int l_pool_free(lua_State* L) {
  lua_pushinteger(L,
                  static_cast<lua_Integer>(check_udata<lua_pool>(L, 1, pool_type)->threads.free()));
  return 1;
}

// ---- timeout --------------------------------------------------------------------------------

/// sw.timeout(s, fn, ...): fn's results, or the error "timed out after s s" raised in this
/// thread once s pass (at the park point fn is blocked in).
int l_timeout(lua_State* L) {
  check_c_stack(L);
  const green::duration bound = wait_seconds_at(L, 1, "sw.timeout", "s");
  const lua_Number s = lua_tonumber(L, 1);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  const int nargs = lua_gettop(L) - 2;
  int status = 0;
  bool expired = false;
  {
    green::timeout limit(bound);
    thread_info* t = engine::of(L).current();
    if (t != nullptr) t->script_timeouts.push_back(&limit);
    status = lua_pcall(L, nargs, LUA_MULTRET, 0);
    // The current thread again (pcall may have parked and come back through other threads).
    t = engine::of(L).current();
    if (t != nullptr && !t->script_timeouts.empty()) t->script_timeouts.pop_back();
    expired = limit.expired();
  }
  if (status != 0) {
    if (expired && lua_type(L, -1) == LUA_TSTRING) {
      const thread_info* t = engine::of(L).current();
      if (t == nullptr || (!t->killed && !t->bound_expired)) {
        lua_pop(L, 1);
        luaL_where(L, 1);
        lua_pushfstring(L, "timed out after %f s", s);
        lua_concat(L, 2);
      }
    }
    return lua_error(L);
  }
  return lua_gettop(L) - 1;
}

}  // namespace

void add_green_api(lua_State* L) {
  static const luaL_Reg thread_methods[] = {{"wait", guarded<l_thread_wait>},
                                            {"kill", guarded<l_thread_kill>},
                                            {"dead", l_thread_dead},
                                            {nullptr, nullptr}};
  static const luaL_Reg event_methods[] = {{"send", guarded<l_event_send>},
                                           {"wait", guarded<l_event_wait>},
                                           {"ready", l_event_ready},
                                           {"reset", l_event_reset},
                                           {nullptr, nullptr}};
  static const luaL_Reg queue_methods[] = {{"put", guarded<l_queue_put>},
                                           {"get", guarded<l_queue_get>},
                                           {"size", l_queue_size},
                                           {nullptr, nullptr}};
  static const luaL_Reg semaphore_methods[] = {{"acquire", guarded<l_semaphore_acquire>},
                                               {"release", guarded<l_semaphore_release>},
                                               {"balance", l_semaphore_balance},
                                               {nullptr, nullptr}};
  static const luaL_Reg pool_methods[] = {{"spawn", guarded<l_pool_spawn>},
                                          {"waitall", guarded<l_pool_waitall>},
                                          {"running", l_pool_running},
                                          {"free", l_pool_free},
                                          {nullptr, nullptr}};
  register_udata<thread_handle>(L, thread_type, thread_methods);
  register_udata<lua_event>(L, event_type, event_methods);
  register_udata<lua_queue>(L, queue_type, queue_methods);
  register_udata<lua_semaphore>(L, semaphore_type, semaphore_methods);
  register_udata<lua_pool>(L, pool_type, pool_methods);
  static const luaL_Reg functions[] = {{"sleep", guarded<l_sleep>},
                                       {"spawn", guarded<l_spawn>},
                                       {"spawn_after", guarded<l_spawn_after>},
                                       {"event", guarded<l_event>},
                                       {"queue", guarded<l_queue>},
                                       {"semaphore", guarded<l_semaphore>},
                                       {"pool", guarded<l_pool>},
                                       {"timeout", guarded<l_timeout>},
                                       {nullptr, nullptr}};
  luaL_register(L, nullptr, functions);
}

}  // namespace swarmlet::script
