#pragma once
// The ways to watch and steer tests, shared by `run` and `master`: the web UI, the HTTP API and
// /metrics, the backdoor console, and Ctrl-C (SIGINT/SIGTERM stop the test cleanly, then quit).
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "common/green/backdoor.hpp"
#include "common/green/event.hpp"
#include "common/green/green_thread.hpp"
#include "common/green/socket.hpp"
#include "master/test_session.hpp"
#include "master/web_api.hpp"
#include "signal_watch.hpp"
#include "test_flags.hpp"

namespace swarmlet::app {

class runner_faces {
 public:
  runner_faces() = default;
  ~runner_faces();
  runner_faces(const runner_faces&) = delete;
  runner_faces& operator=(const runner_faces&) = delete;

  /// Starts what the flags ask for; `workers` lists the workers as JSON. Returns false (after
  /// saying why) when it must not go on: an explicit web port that is taken, a non-loopback web
  /// address without a token, a backdoor port that is taken. The default web port being taken
  /// is only a warning.
  bool start(const test_flags& f, master::test_session& session,
             std::function<nlohmann::json()> workers);
  /// What a second SIGINT or SIGTERM does, once the first is stopping the test (or a first one
  /// once the test is over): end the stop's waits now. `skipped_wait` names them for the
  /// console ("requests in flight" for `run`, "the workers' final reports" for `master`).
  void on_second_signal(std::string skipped_wait, std::function<void()> leave_now) {
    skipped_wait_ = std::move(skipped_wait);
    leave_now_ = std::move(leave_now);
  }
  /// Parks until SIGINT, SIGTERM or POST /api/quit; the test in progress is being stopped then.
  void wait_for_quit() { quit_.wait(); }
  bool quitting() const noexcept { return quit_.ready(); }
  /// True once SIGINT or SIGTERM arrived.
  bool interrupted() const noexcept { return interrupted_; }

 private:
  bool start_web(const test_flags& f, master::test_session& session,
                 std::function<nlohmann::json()> workers);
  void quit(master::test_session& session);
  green::socket web_listener_;
  std::unique_ptr<master::web_api> api_;
  green::green_thread<void> web_;
  green::backdoor door_;
  green::socket door_listener_;
  green::green_thread<void> door_server_;
  std::unique_ptr<signal_watch> signals_;
  green::green_thread<void> on_signal_;
  green::event<> quit_;
  bool interrupted_ = false;
  std::string skipped_wait_ = "requests in flight";
  std::function<void()> leave_now_;
};

}  // namespace swarmlet::app
