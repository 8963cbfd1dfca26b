#pragma once
// The error a green thread of sw.spawn ended with, kept for whoever waits for the thread.
// h:wait() takes it (raises it: the script has it, and it counts nowhere), whether the thread
// died before the wait or during it. One that nobody ever takes counts once, as a failure of
// type LUA named sw.spawn and an exception with its traceback (as gevent logs the error of a
// greenlet nobody joins): when its handle is collected, or when the user (or setup, teardown)
// that spawned the thread ends, whichever comes first. Before, it counted at once unless a
// wait was already parked on the thread, so a fan-out (spawn N, then wait each in turn)
// counted the errors of the threads that died before their turn, and a test exited 1 for
// errors its script had caught (QA).
#include <string>

namespace swarmlet::script {

class engine;
struct user_context;

/// The row of errors of spawned green threads that nobody took, under LUA.
inline constexpr const char* spawned_thread_name = "sw.spawn";

class spawned_error {
 public:
  /// `message` is the error's one-line description; `user` (null outside a user) says where
  /// it counts, and must outlive this error's count (its end counts it: user_context).
  spawned_error(engine& owner, const user_context* user, std::string message, std::string traceback)
      : owner_(owner),
        user_(user),
        message_(std::move(message)),
        traceback_(std::move(traceback)) {}
  /// A wait raised it: it will not be counted.
  void take() noexcept { settled_ = true; }
  /// Counts it in the user's tables (the engine's outside a user), unless it was taken or
  /// counted already. While the engine closes, the tables may be gone: it is printed instead.
  void count_if_untaken();
  /// Taken or counted.
  bool settled() const noexcept { return settled_; }

 private:
  engine& owner_;
  const user_context* user_;
  std::string message_;
  std::string traceback_;
  bool settled_ = false;
};

}  // namespace swarmlet::script
