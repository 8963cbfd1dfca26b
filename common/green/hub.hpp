#pragma once
// The hub: one per OS thread. It runs ready green threads in FIFO order, fires due timers and
// waits for I/O, resuming the threads whose fds became ready (eventlet's BaseHub). Green code
// reaches it through operations.hpp; the hub's own surface is kept small: watch an fd, stop
// watching it, park, make ready, run a call from another OS thread.
#include <boost/context/fiber.hpp>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "clock.hpp"
#include "io_backend.hpp"
#include "ready_queue.hpp"
#include "stack_pool.hpp"
#include "thread_record.hpp"
#include "timer.hpp"
#include "wait_list.hpp"

namespace swarmlet::green {

struct hub_options {
  backend_kind backend = backend_kind::epoll;
  std::size_t stack_size = 256 * 1024;  ///< reserved per green thread; committed as touched
  std::size_t max_pooled_stacks = 4096;
};

class hub {
 public:
  /// Makes this OS thread's hub. Throws hub_misuse if the thread already has one.
  explicit hub(hub_options options = {});
  /// Kills every green thread still alive (each sees green_exit at its park point and unwinds),
  /// waits for them, then releases everything. Must run in the thread's original context.
  ~hub();
  hub(const hub&) = delete;
  hub& operator=(const hub&) = delete;

  /// This OS thread's hub, or nullptr.
  static hub* current() noexcept;
  /// This OS thread's hub; throws hub_misuse when there is none.
  static hub& get();

  const char* backend_name() const noexcept { return backend_->name(); }
  stack_pool& stacks() noexcept { return stacks_; }
  timer_heap& timers() noexcept { return timers_; }
  /// Green threads alive (started or not); the original context is not counted.
  std::size_t live_threads() const noexcept { return live_; }
  /// The running green thread (the original context counts as one), or nullptr in the loop.
  thread_record* current_thread() const noexcept { return current_; }
  /// The record of the thread's original context (the one that made the hub).
  thread_record* main_thread() noexcept { return &main_; }
  std::uint64_t next_thread_id() noexcept { return ++last_id_; }

  /// Takes ownership of a new record and gives it a stack; it runs once made ready
  /// (`make_ready`) or after `delay` (`schedule`).
  void launch(thread_record* t);
  void schedule(thread_record* t, duration delay);
  /// Queues a parked, created or scheduled thread to run; no-op for one already ready/running.
  void make_ready(thread_record* t) noexcept;
  /// Makes `error` be thrown at `t`'s park point when it next runs (kill, Timeout); if `t` is
  /// the running thread, throws it at once. No-op for a finished thread.
  /// With `replace` false, an error already pending for `t` is kept instead.
  void inject(thread_record* t, std::exception_ptr error, bool replace = true);

  /// Parks the running thread on `list` until woken (true) or `until` passes (false).
  /// Throws what is injected meanwhile; hub_misuse when called from the hub loop.
  bool park(wait_list& list, deadline until, const char* what);
  /// Parks the running thread until `w` is ready in `direction` (true) or `until` passes
  /// (false). Throws std::system_error(EBADF) if the fd stops being watched meanwhile.
  bool wait_io(io_watch& w, io_direction direction, deadline until, const char* what);
  /// Lets every other ready thread run once, then continues (eventlet's sleep(0)).
  void yield();

  /// Watches an fd for its whole life; `w` must stay put until `remove_watch`.
  void add_watch(io_watch& w);
  /// Stops watching; threads parked on it get std::system_error(EBADF).
  void remove_watch(io_watch& w) noexcept;

  /// From any OS thread: runs `call` in this hub's loop soon (it must not block; it may spawn).
  void call_soon_threadsafe(std::function<void()> call);
  /// Parks the caller (the original context) until no green thread is alive.
  void wait_all();

 private:
  class start_timer;
  static boost::context::fiber thread_entry(thread_record* t, boost::context::fiber&& hub_ctx);
  void switch_to_hub(thread_record* self, const char* what);
  thread_record* require_current(const char* what) const;
  void loop();
  void run_ready_batch();
  void resume(thread_record* t);
  void finished(thread_record* t) noexcept;
  void poll_once();
  void run_cross_thread_calls();

  hub_options options_;
  stack_pool stacks_;
  std::unique_ptr<io_backend> backend_;
  std::unique_ptr<ready_queue> ready_;
  timer_heap timers_;
  thread_record main_;
  thread_record* current_;
  thread_record* live_head_ = nullptr;
  std::size_t live_ = 0;
  std::uint64_t last_id_ = 0;
  wait_list all_done_;
  bool loop_started_ = false;
  bool stopping_ = false;
  std::vector<io_event> events_;
  const void* hub_stack_bottom_ = nullptr;
  std::size_t hub_stack_size_ = 0;
  void* hub_fake_stack_ = nullptr;
  // Cross-thread wake-up: an eventfd the loop always watches for reading.
  io_watch wakeup_;
  std::mutex cross_mutex_;
  std::vector<std::function<void()>> cross_calls_;
  std::vector<std::function<void()>> running_calls_;
};

}  // namespace swarmlet::green
