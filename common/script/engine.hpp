#pragma once
// The Lua runtime of one hub thread (LuaJIT 2.1): one lua_State shared by the scripted users of
// the thread, each running on its own Lua thread inside its own green thread. The engine owns
// the sandbox (no process, file or native-library access), `require` among the scenario's own
// scripts, the heap cap (a counting allocator) and the runaway guard (an instruction-count hook).
//
// How Lua errors and C++ meet: Debian's LuaJIT on x64 raises Lua errors with the system unwinder
// (_Unwind_RaiseException), so a Lua error unwinds C++ frames running their destructors, and
// `catch (...)` sees it as a foreign exception (which must be rethrown: see lua_guard.hpp).
// C++ enters Lua only through lua_pcall/lua_cpcall, so no error ever escapes to the panic handler.
#include <chrono>
#include <cstddef>
#include <functional>
#include <lua.hpp>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <vector>

#include "common/green/clock.hpp"
#include "common/green/small_blocks.hpp"

namespace swarmlet::stats {
class stats_table;
class exception_table;
}  // namespace swarmlet::stats

namespace swarmlet::green {
class timeout;
}  // namespace swarmlet::green

namespace swarmlet::script {

/// Script files by the name the scenario gives them ("poller.lua", "lib/auth.lua") -> text.
using script_files = std::map<std::string, std::string>;

/// A script that cannot be loaded or a class that is not a user class; the message starts
/// with the file (and line when Lua knows it): "poller.lua:12: ...".
class script_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct engine_options {
  /// Lua may run this long without parking before it is interrupted with an error.
  std::chrono::milliseconds run_limit{1000};
  /// The Lua heap of the hub thread may not grow past this. Past three quarters of it (after
  /// a full collection) the running script gets an error naming its file:line; an allocation
  /// beyond it fails with Lua's "not enough memory". Never an abort.
  std::size_t heap_limit = std::size_t{512} << 20;
};

struct user_context;

/// What the engine knows of a green thread running Lua: its user (null for setup/teardown
/// and tests) and whether it was killed (every later park or hook check raises again, so a
/// script's pcall cannot swallow a kill).
struct thread_info {
  user_context* user = nullptr;
  bool killed = false;
  /// Why a kill of this thread cuts a request it has in flight, as the failure that request
  /// counts as: h:kill() ("cancelled: its green thread was killed (h:kill())"), setup's time
  /// limit. Empty for a kill that is the runner's own (the user's end, the hub's): the request
  /// is let go unsaid.
  std::string cut_reason;
  /// The sw.timeout limits running around this thread's code now, innermost last: a request
  /// one of them cuts counts as cut by the script (not one that a runner's own limit cuts).
  std::vector<const green::timeout*> script_timeouts;
  /// A runner's own time limit around this thread's code (on_stop's, http.timeout) expired:
  /// its error goes through pcall, xpcall, sw.measure and coroutines, as a kill does, or a
  /// script that caught it ran on past the bound, and past the test's end.
  bool bound_expired = false;
};

/// An object Lua owns that holds one of the hub's fds (a raw socket of sw.connect). Lua
/// collects the last of them only at lua_close, after the hub is gone (the hub's green threads
/// may hold Lua values, so the state outlives it), and closing an fd then touched a dead hub.
class hub_bound {
 public:
  /// Closes the fd without waiting (no goodbye on the wire): the hub is about to end.
  virtual void close_now() noexcept = 0;

 protected:
  ~hub_bound() = default;
};

class engine {
 public:
  /// A fresh state with the sandboxed libraries and the `swarmlet` module. `files` are what
  /// `require` may load; `missing` (if set) is asked for a module not among them and its
  /// answer is added to them (the master reads modules from disk this way).
  explicit engine(script_files files, engine_options options = {},
                  std::function<std::optional<std::string>(const std::string&)> missing = {});
  ~engine();
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  /// The engine that owns `L` (any of its threads).
  static engine& of(lua_State* L) noexcept {
    void* self = nullptr;
    lua_getallocf(L, &self);
    return *static_cast<engine*>(self);
  }
  lua_State* state() const noexcept { return L_; }
  /// True while the destructor closes the state: what Lua collects then (the last handles)
  /// may no longer count anywhere (the tables it counted in may be gone).
  bool closing() const noexcept { return closing_; }
  const engine_options& options() const noexcept { return options_; }
  const script_files& files() const noexcept { return files_; }

  /// Runs the script `name` as `require` would (once; later calls get the same value) and
  /// leaves its value on the top of `L`'s stack. Throws script_error.
  void require_file(const std::string& name);

  /// The green thread running Lua now; set each time one enters Lua or comes back from a park.
  thread_info* current() const noexcept { return current_; }
  /// Called by whoever (re)enters Lua: it is `t`'s turn and its time slice starts now. The
  /// slice's clock starts at the hook's first look, a few microseconds of Lua later: most
  /// slices (a request, a sleep) park before any look, and read no clock at all.
  void resume(thread_info* t) noexcept {
    current_ = t;
    slice_timed_ = false;
    if (hook_tightened_) [[unlikely]]
      relax_hook();
  }
  /// The stats table where requests of scripts are recorded: the running user's (stats_of).
  stats::stats_table* stats() const noexcept;
  /// Where `user`'s requests are recorded: its own table when it has one (its run's,
  /// user_context::stats), else the hub thread's (set_stats); null: not recorded.
  stats::stats_table* stats_of(const user_context* user) const noexcept;
  void set_stats(stats::stats_table* s) noexcept { stats_ = s; }
  /// Where errors that end a user's task (or on_start) are collected with their traceback, for
  /// the exceptions report: the running user's (exceptions_of).
  stats::exception_table* exceptions() const noexcept;
  /// As stats_of: `user`'s own table, else the hub thread's; null: not collected.
  stats::exception_table* exceptions_of(const user_context* user) const noexcept;
  void set_exceptions(stats::exception_table* e) noexcept { exceptions_ = e; }
  std::size_t heap_bytes() const noexcept { return heap_bytes_; }
  /// What sw.worker_index() and sw.worker_count() answer: the worker's place in the test, as
  /// its last spawn command said (`swarmlet run`: 0 of 1; the master's setup: 0 of the workers
  /// present).
  void set_worker_place(int index, int count) noexcept {
    worker_index_ = index;
    worker_count_ = count;
  }
  int worker_index() const noexcept { return worker_index_; }
  int worker_count() const noexcept { return worker_count_; }
  /// setup()'s value as the master sent it (msgpack; empty: none): decoded here once, and
  /// shared as u.setup by the users of this hub thread made from now on. The same bytes again
  /// change nothing. Throws script_error when they are not a value setup could return.
  void set_setup_data(const std::string& msgpack);
  /// Pushes setup()'s value onto `L` (nil when none).
  void push_setup_data(lua_State* L) const;
  std::mt19937_64& rng() noexcept { return rng_; }
  /// Lists `object` until it is forgotten; close_hub_objects() closes what is still listed.
  void adopt(hub_bound* object) { hub_objects_.insert(object); }
  void forget(hub_bound* object) noexcept { hub_objects_.erase(object); }
  /// Closes every hub_bound object Lua still holds: called before the hub ends.
  void close_hub_objects() noexcept;
  /// Collects now every value nothing holds any more (an ended user's table, and the sockets
  /// in it), which Lua otherwise collects only as its heap grows. Protected: a script's own
  /// finalizer (newproxy's __gc) may raise, and its error is dropped.
  void collect_garbage() noexcept;
  /// Whether Lua still holds an object with one of the hub's fds (a raw socket).
  bool holds_hub_objects() const noexcept { return !hub_objects_.empty(); }

  /// The chunk name Lua uses for a script file: "@poller.lua" (messages say "poller.lua:12:").
  static std::string chunk_name(const std::string& file) { return "@" + file; }
  /// Text of the script `name`: from the files, else from `missing` (remembered), else none.
  const std::string* find_file(const std::string& name);

 private:
  /// What a load of `file` that ran out of Lua heap says.
  std::string out_of_memory(const std::string& file) const;
  /// The names in the registry's _LOADED (require's record of modules).
  std::set<std::string> loaded_modules();
  /// Clears what a failed require added to _LOADED since `before`, its marks among it, so the
  /// next try raises the file's own error again.
  void forget_failed_requires(const std::set<std::string>& before);
  static void* allocate(void* self, void* block, std::size_t old_size, std::size_t new_size);
  static void count_hook(lua_State* L, lua_Debug* ar);
  void relax_hook() noexcept;
  static int open_sandbox(lua_State* L);

  engine_options options_;
  script_files files_;
  std::function<std::optional<std::string>(const std::string&)> missing_;
  std::set<std::string> builtin_modules_;  // what require() answers without a file
  std::size_t heap_bytes_ = 0;
  green::small_blocks blocks_;   // outlives ~engine()'s lua_close, which gives its blocks back
  bool hook_tightened_ = false;  // a runaway is being interrupted: the hook runs every instruction
  std::string runaway_line_;     // "file:line: " where it ran over its limit
  lua_State* L_ = nullptr;
  bool closing_ = false;
  thread_info* current_ = nullptr;
  green::time_point slice_start_{};
  bool slice_timed_ = false;  // slice_start_ is this slice's
  stats::stats_table* stats_ = nullptr;
  stats::exception_table* exceptions_ = nullptr;
  int worker_index_ = 0;
  int worker_count_ = 1;
  std::string setup_bytes_;
  int setup_ref_ = LUA_REFNIL;
  std::mt19937_64 rng_{std::random_device{}()};
  std::unordered_set<hub_bound*> hub_objects_;
  int collect_ref_ = LUA_NOREF;  ///< collect_garbage's function, made while the heap had room
};

/// Adds "file:line: " of the innermost Lua frame to `message` when it has no position yet
/// (errors raised in C functions, such as "not enough memory").
std::string with_position(lua_State* L, const std::string& message);

/// The error value on top of `L` as a one-line message.
std::string error_message(lua_State* L, int index = -1);

}  // namespace swarmlet::script
