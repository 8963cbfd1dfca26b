#pragma once
// One scripted user's Lua side: its own Lua thread (anchored in the registry while the user
// lives), its `u` table (id, vars, http, ws) and its HTTP clients (made at the first request). It
// runs on_start, tasks and on_stop on the calling green thread; a Lua error in any of them is
// recorded as one failure of type "LUA" named after the task, with the script's file:line, and as
// one exception with the Lua traceback of the user's frames (the engine's exceptions table), never
// thrown. The pacing (which task, waits, stopping) is the caller's: worker/script_user.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/config/user_random.hpp"
#include "common/green/ssl.hpp"
#include "common/http/client.hpp"
#include "common/stats/stats_table.hpp"
#include "engine.hpp"
#include "http_api.hpp"
#include "user_class.hpp"
#include "user_context.hpp"
#include "ws_api.hpp"

namespace swarmlet::script {

/// The stats type of errors raised by scripts (Locust lists them as exceptions): not requests.
inline constexpr const char* script_error_type = stats::script_error_method;

struct user_settings {
  std::uint64_t id = 0;
  std::map<std::string, std::string> vars;  ///< data-file columns: u.vars
  std::string target;                       ///< base URL of u.http
  http::client_options client;
  std::shared_ptr<green::tls_context> tls;
  std::function<void()> stop;          ///< what sw.stop_user() asks for
  green::event<>* stopping = nullptr;  ///< sent when the user must stop: ends sw.sleep early
  /// Where the user's requests and exceptions count (its run's tables); null: the engine's.
  stats::stats_table* stats = nullptr;
  stats::exception_table* exceptions = nullptr;
};

class scripted_user {
 public:
  /// Must be made on a green thread of the engine's hub thread. Throws script_error when
  /// Lua cannot make the user (out of heap).
  scripted_user(engine& e, const user_class& cls, user_settings settings);
  /// Kills the green threads the user spawned, then lets Lua collect the user.
  ~scripted_user();
  scripted_user(const scripted_user&) = delete;
  scripted_user& operator=(const scripted_user&) = delete;

  /// Where this user's requests count (engine::stats_of); null: nowhere.
  stats::stats_table* stats() const noexcept { return engine_.stats_of(&context_); }
  /// Runs on_start (if any); false when it raised (recorded).
  /// These calls throw green::green_exit when the user's green thread is killed meanwhile.
  bool start();
  /// Runs the task `index` of the class. `intended` (the open model): when it was to start;
  /// its first request's response time is its own plus how late the task started.
  void run_task(std::size_t index, std::optional<green::time_point> intended = std::nullopt);
  /// Replaces u.vars (a new data row for the next task). Throws script_error when Lua is out
  /// of heap.
  void set_vars(const std::map<std::string, std::string>& vars);
  /// A task index drawn by the tasks' weights.
  std::size_t pick_task(config::user_random& rng);
  /// Ends the green threads the user spawned: lets the requests they wait on be answered
  /// (and counted), up to the request timeout, telling the threads to stop (`stopping`) so
  /// that none sends another, then kills those left. The user's end, before on_stop (finish()
  /// does it if not done); a user whose on_start failed ends with it too.
  void end_spawned_threads();
  /// end_spawned_threads(), then on_stop (if any).
  void finish();
  /// The pause the class asks for after a task (its `wait`).
  struct wait_answer {
    /// The wait function raised or returned no seconds (counted as a failure of
    /// `file:wait`): the user stops, as Locust's does when wait_time raises, rather than run
    /// its tasks with no wait at all.
    bool failed = false;
    std::optional<green::duration> pause;  ///< none: the class sets no wait
  };
  wait_answer class_wait();
  const user_class& cls() const noexcept { return class_; }

 private:
  static int make(lua_State* L);
  static int replace_vars(lua_State* L);
  /// Adds file:line to an error's message and keeps the traceback of where it was raised.
  static int message_handler(lua_State* L);
  /// Calls the function `fn` with u; false (and one failure of `name` and one exception
  /// recorded) when it raised.
  /// With `results` 1, the result stays on the thread's stack (at index 2).
  bool call(int fn, const std::string& name, int results = 0);
  /// Counts one failure of `name` (a LUA request taking `us`) and one exception: `message`.
  void count_error(const std::string& name, const std::string& message, std::uint64_t us);

  engine& engine_;
  const user_class& class_;
  user_settings settings_;
  user_context context_;
  thread_info info_;
  lua_State* thread_ = nullptr;
  int thread_ref_ = LUA_NOREF;
  int u_ref_ = LUA_NOREF;
  std::string traceback_;  // of the error being handled (message_handler's)
  http_object* http_ = nullptr;
  ws_factory* ws_ = nullptr;
  std::discrete_distribution<std::size_t> pick_;
  bool spawned_threads_ended_ = false;
};

}  // namespace swarmlet::script
