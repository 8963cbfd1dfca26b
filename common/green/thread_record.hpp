#pragma once
// What the hub knows of one green thread (or of the thread's original context, which the hub
// treats the same way so that plain code may block too, as eventlet's main greenlet does).
#include <boost/context/fiber.hpp>
#include <cstdint>
#include <exception>
#include <memory>
#include <utility>

#include "timer.hpp"

namespace swarmlet::green {

class hub;
class waiter;

class thread_record {
 public:
  enum class state { created, scheduled, ready, running, parked, done };

  explicit thread_record(hub* home, std::uint64_t id) : home_(home), id_(id) {}
  thread_record(const thread_record&) = delete;
  thread_record& operator=(const thread_record&) = delete;
  virtual ~thread_record() = default;

  std::uint64_t id() const noexcept { return id_; }
  hub* home() const noexcept { return home_; }
  /// "created", "scheduled", "ready", "running", "parked" or "done".
  const char* state_name() const noexcept {
    static constexpr const char* names[] = {"created", "scheduled", "ready",
                                            "running", "parked",    "done"};
    return names[static_cast<int>(state_)];
  }
  /// True once the thread's function has begun (or it was killed before it could).
  bool started() const noexcept { return started_; }
  /// What the thread is parked on, for consoles and diagnostics ("sleep", "recv", ...).
  const char* blocked_on() const noexcept { return blocked_on_; }

  /// Link for the ready queue; only a ready_queue touches it.
  thread_record* next_ready = nullptr;

 protected:
  /// Runs the thread's function and stores its outcome; never lets an exception out
  /// (a green_exit pending before the first run means: never run the function).
  virtual void run() {}
  /// The exception thrown into the thread before it first ran (a kill), if any.
  std::exception_ptr take_pending() noexcept { return std::exchange(pending_, nullptr); }

 private:
  friend class hub;
  friend class wait_list;
  friend class waiter;

  hub* home_;
  std::uint64_t id_;
  state state_ = state::created;
  bool started_ = false;
  boost::context::fiber context_;  // this thread, while it is not running
  thread_record* prev_live_ = nullptr;
  thread_record* next_live_ = nullptr;
  waiter* parked_on_ = nullptr;  // unlinked when an exception is thrown into the thread
  std::exception_ptr pending_;   // thrown at the park point when the thread resumes
  const char* blocked_on_ = "";
  // Stack bounds, for the sanitizer's fiber-switch annotations.
  const void* stack_bottom_ = nullptr;
  std::size_t stack_size_ = 0;
  void* fake_stack_ = nullptr;
  std::unique_ptr<timer> start_timer_;  // spawn_after's delay
};

}  // namespace swarmlet::green
