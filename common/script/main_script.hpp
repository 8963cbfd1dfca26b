#pragma once
// main.lua on the master (`script: main.lua` at the top of the scenario), as k6's setup and
// teardown: setup(ctx) runs once before any user starts, and what it returns reaches every user
// as u.setup; teardown(ctx, data) runs once after the users stop, with setup's value. ctx.http
// is an HTTP client of their own against the target (u.http's API). Both run on the master's
// hub under the users' guards (the run limit, the heap cap) and a time limit each; their
// requests go to stats of their own, which the master reports under their own type.
// main.lua defines them as globals (`function setup(ctx)`), or returns a table holding them.
#include <chrono>
#include <memory>
#include <string>

#include "common/green/clock.hpp"
#include "common/green/green_thread.hpp"
#include "common/green/ssl.hpp"
#include "common/http/client.hpp"
#include "common/stats/stats_table.hpp"
#include "engine.hpp"
#include "user_context.hpp"

namespace swarmlet::script {

/// The stats types under which the master reports the requests of setup and teardown: a
/// request (method, name) becomes (type, "method name").
inline constexpr const char* setup_type = "SETUP";
inline constexpr const char* teardown_type = "TEARDOWN";

/// Registry refs of main.lua's functions (LUA_NOREF: not defined).
struct main_functions {
  int setup = LUA_NOREF;
  int teardown = LUA_NOREF;
};

/// Runs main.lua `file` in `e` (as require does) and finds setup and teardown. Throws
/// script_error: "main.lua:3: ..." for Lua's errors, "main.lua: setup must be a function, got
/// a number" for a bad one.
main_functions load_main_script(engine& e, const std::string& file);

struct main_script_settings {
  std::string target;  ///< ctx.http's base URL
  http::client_options client;
  std::shared_ptr<green::tls_context> tls;  ///< for an https target
  green::duration setup_timeout = std::chrono::seconds(60);
  green::duration teardown_timeout = std::chrono::seconds(60);
  int worker_count = 1;  ///< what sw.worker_count() answers in setup and teardown
};

class main_script {
 public:
  /// Loads `file` (one of `files`) in an engine of its own. Must be made on a green thread of
  /// the hub where setup and teardown will run. Throws script_error as load_main_script.
  main_script(const script_files& files, const std::string& file, engine_options options,
              main_script_settings settings);
  ~main_script();
  main_script(const main_script&) = delete;
  main_script& operator=(const main_script&) = delete;

  bool has_setup() const noexcept { return functions_.setup != LUA_NOREF; }
  bool has_teardown() const noexcept { return functions_.teardown != LUA_NOREF; }

  /// Runs setup(ctx) (nothing without one) on a green thread of its own and parks until it
  /// ends. Returns its value as msgpack (see setup_data.hpp; empty when it returned nothing).
  /// Throws script_error naming main.lua when setup raises, returns a value that cannot reach
  /// the users, passes its time limit, or is cancelled.
  std::string setup();
  /// Runs teardown(ctx, data) (nothing without one), `data` being setup's value. Throws
  /// script_error as setup().
  void teardown();
  /// Ends the setup or teardown in progress (its green thread is killed): it throws
  /// script_error saying it was stopped. Nothing when none runs.
  void cancel();
  /// The requests (and errors) recorded since the last call, each (method, name) as
  /// (`type`, "method name"); a script error's as (LUA, "`type` name"), still a script error.
  stats::stats_table take_stats(const std::string& type);

 private:
  static int make_context(lua_State* L);
  static int message_handler(lua_State* L);
  /// Calls the function `fn` (a registry ref) with ctx and, for teardown, setup's value;
  /// with `keep_result`, its first result is kept (data_ref_). Throws script_error.
  void call(int fn, const char* what, green::duration limit, bool keep_result);

  std::string file_;
  main_script_settings settings_;
  engine engine_;
  stats::stats_table stats_;
  user_context context_;
  /// Sent when setup or teardown returns: the green threads it spawned end at their next
  /// request or wait (a request in flight is answered first, and counts).
  green::event<> call_ended_;
  thread_info info_;
  main_functions functions_;
  lua_State* thread_ = nullptr;
  int thread_ref_ = LUA_NOREF;
  int ctx_ref_ = LUA_NOREF;
  int data_ref_ = LUA_REFNIL;
  green::green_thread<void> running_;
  /// Why the call in progress failed, written by its thread (empty: it did not).
  std::string call_error_;
  bool cancelled_ = false;
  bool returned_ = false;  ///< the call's function returned (its thread may still wait)
};

}  // namespace swarmlet::script
