#pragma once
// A scripted user on a hub thread (the Lua twin of user_runner): its class's on_start, then
// weighted tasks with waits between them until told to stop (or sw.stop_user()), then
// on_stop. The Lua side (the user's Lua thread, u, u.http) is script::scripted_user's.
#include <memory>
#include <random>

#include "common/config/scenario.hpp"
#include "common/green/event.hpp"
#include "common/green/ssl.hpp"
#include "common/script/engine.hpp"
#include "common/script/user_class.hpp"
#include "common/stats/stats_table.hpp"
#include "user_runner.hpp"

namespace swarmlet::script {
class scripted_user;
}

namespace swarmlet::worker {

class script_user {
 public:
  /// `cls` is the class the hub thread loaded for `spec` in `engine`; all must outlive the user.
  script_user(const config::scenario& scenario, const config::user_spec& spec,
              script::engine& engine, const script::user_class& cls,
              std::shared_ptr<green::tls_context> tls, user_options options);

  /// Runs the user until stop() (blocks the calling green thread). A stop lets the task in
  /// flight finish its request; on_stop then runs, bounded by the request timeout.
  void run();
  /// Asks the user to stop at its next task boundary or wait (wakes it from a wait).
  void stop();
  bool stopping() const noexcept { return stop_.ready(); }
  const config::user_spec& spec() const noexcept { return spec_; }

 private:
  /// The pause after a task: the scenario's wait, else the class's, else none.
  std::chrono::microseconds pause_after(script::scripted_user& u, green::time_point task_start);

  const config::scenario& scenario_;
  const config::user_spec& spec_;
  script::engine& engine_;
  const script::user_class& class_;
  std::shared_ptr<green::tls_context> tls_;
  user_options options_;
  std::mt19937_64 rng_;
  green::event<> stop_;
};

}  // namespace swarmlet::worker
