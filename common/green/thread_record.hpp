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

/// The deadline of a green thread's parks (hub::park_until), one timer per thread and lazy: a
/// park that ends before its deadline leaves the timer armed, and a later park whose deadline
/// is no earlier only notes it; the timer, when it fires early, arms itself again for the
/// noted deadline. A thread that parks on every read with a 30 s bound then costs the timer
/// heap nothing per read, where an insertion and a removal per park were a few percent of a
/// request's CPU (libev's advice for activity timeouts).
class park_deadline final : public timer {
 public:
  /// Starts a park of `w` (on `heap`) that ends by `until` at the latest.
  void begin(waiter& w, time_point until, timer_heap& heap);
  /// Ends the park; true if it ended at its deadline.
  bool end() noexcept {
    waiting_ = nullptr;
    return fired_;
  }

 private:
  void fire() override;
  waiter* waiting_ = nullptr;  // the current park's, or none
  time_point wanted_{};
  timer_heap* heap_of_park_ = nullptr;
  bool fired_ = false;
};

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

  /// The lowest address of the thread's own stack (null: the original context, on its OS
  /// thread's stack, unless the sanitizer's switch annotations filled in that stack's bounds).
  const void* stack_bottom() const noexcept { return stack_bottom_; }

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
  park_deadline park_deadline_;
};

}  // namespace swarmlet::green
