#pragma once
// The hub: one per OS thread. It runs ready green threads in FIFO order, fires due timers and
// waits for I/O, resuming the threads whose fds became ready (eventlet's BaseHub). A parking
// thread hands the CPU straight to the next ready one (one context jump); the loop's own fiber
// runs only to poll, when none is ready, after resumes_between_polls resumes, or after a
// thread's long turn (poll_at_next_switch). Green code reaches it through operations.hpp; the
// hub's own surface is kept small: watch an fd, stop watching it, park, make ready, run a call
// from another OS thread.
#include <boost/context/fiber.hpp>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "asan_fiber.hpp"
#include "busy_meter.hpp"
#include "clock.hpp"
#include "io_backend.hpp"
#include "ready_queue.hpp"
#include "stack_pool.hpp"
#include "thread_record.hpp"
#include "timer.hpp"
#include "wait_list.hpp"
#include "watched_fd.hpp"

namespace swarmlet::green {

struct hub_options {
  backend_kind backend = backend_kind::epoll;
  std::size_t stack_size = 256 * 1024;  ///< reserved per green thread; committed as touched
  std::size_t max_pooled_stacks = 4096;

  /// Defaults, with the poller taken from SWARMLET_HUB (epoll, poll, select or io_uring) when
  /// set, as EVENTLET_HUB does. Throws std::invalid_argument naming the variable for another
  /// value.
  static hub_options from_environment();
};

class hub {
 public:
  /// Makes this OS thread's hub. Throws hub_misuse if the thread already has one.
  explicit hub(hub_options options = {});
  /// Kills every green thread still alive (each sees green_exit at its park point and unwinds),
  /// waits for them, then releases everything. A thread that swallows green_exit three times
  /// is unwound by Boost.Context's forced unwind (so never `catch (...)` without rethrowing).
  /// Must run in the thread's original context.
  ~hub();
  hub(const hub&) = delete;
  hub& operator=(const hub&) = delete;

  /// This OS thread's hub, or nullptr.
  static hub* current() noexcept;
  /// This OS thread's hub; throws hub_misuse when there is none.
  static hub& get();

  stack_pool& stacks() noexcept { return stacks_; }
  timer_heap& timers() noexcept { return timers_; }
  /// When the hub last had nothing to do: a poll with no green thread ready that waited and
  /// got no I/O (its timeout ran out; also a wait cut short by a signal, or on io_uring by a
  /// completion of its own, which errs towards idle). A hub that has not idled for a while has
  /// no spare time. Such a wait is idle until it was due to end (its next timer): when the OS
  /// or the host gives the thread the CPU back later than that, the hub was held up
  /// meanwhile, not idle, and it comes back behind.
  time_point last_idle() const noexcept { return last_idle_; }
  /// How busy this hub's thread is: its CPU, and its loop's longest turn without polling (read
  /// with take() on this thread, at a report's cadence).
  busy_meter& busy() noexcept { return busy_; }
  /// Green threads alive (started or not); the original context is not counted.
  std::size_t live_threads() const noexcept { return live_; }
  /// The running green thread (the original context counts as one), or nullptr in the loop.
  thread_record* current_thread() const noexcept { return current_; }
  /// The lowest address of the stack running now: the running green thread's, or the loop's
  /// (which runs what is posted to the hub); null on an OS thread's own stack.
  const void* running_stack_bottom() const noexcept {
    return (current_ != nullptr ? current_ : &loop_)->stack_bottom();
  }
  /// Switches between green threads (and the loop) so far: a call that leaves it as it was
  /// did not park.
  std::uint64_t switches() const noexcept { return switches_; }
  /// Calls `fn` for every live green thread (consoles and diagnostics; `fn` must not block).
  template <class Fn>
  void for_each_thread(Fn&& fn) const {
    for (const thread_record* t = live_head_; t != nullptr; t = t->next_live_) fn(*t);
  }
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
  bool park(wait_list& list, deadline until, const char* what) {
    if (until) return park_until(list, *until, what);
    thread_record* self = require_current(what);
    waiter w(self);
    list.push_back(w);
    self->state_ = thread_record::state::parked;
    switch_away(self, what);
    return true;
  }
  /// Parks the running thread until `w` is ready in `direction` (true) or `until` passes
  /// (false). Throws std::system_error(EBADF) if the fd stops being watched meanwhile.
  bool wait_io(io_watch& w, io_direction direction, deadline until, const char* what) {
    return park(w.waiters(direction), until, what);
  }
  /// Lets every other ready thread run once, then continues (eventlet's sleep(0)).
  void yield();
  /// Before a read of `w`: after reads_before_sharing reads of it in a row that found their
  /// data with no switch between them, the reader lets the others run, through a poll. A
  /// socket that never runs dry (an endless body, a flood of small WebSocket frames) held the
  /// hub thread for hundreds of milliseconds while other users' answers waited, counted as
  /// their response times. Before the read, not after: what the wait throws (a kill, a
  /// timeout) loses no data. A wait on `w`'s readers until now, not a yield: another thread
  /// that closes the socket meanwhile wakes it with EBADF (wait_io) before it touches the
  /// socket, or the stream it belonged to, again.
  void before_read(io_watch& w) {
    if (w.ready_reads_at_switch == switches_ && w.ready_reads >= reads_before_sharing)
      wait_io(w, io_direction::read, clock::now(), "letting the others read");
  }
  /// After a read of `w` that found data (parked for it or not).
  void after_read(io_watch& w) noexcept {
    if (w.ready_reads_at_switch == switches_) {
      ++w.ready_reads;
    } else {
      w.ready_reads_at_switch = switches_;
      w.ready_reads = 1;
    }
  }
  /// Reads of 16 KiB (HTTP/1.1, HTTP/2, WebSocket): an answer over 256 KiB lets the others
  /// run once per 256 KiB, a usual one never.
  static constexpr std::uint32_t reads_before_sharing = 16;
  /// Lets I/O settle, then continues: the hub polls (without waiting) and runs the threads
  /// each poll wakes, until a poll finds none of its fds ready, or io_settle_max_polls polls in
  /// a row found some, or io_settle_max_time has passed since the first of the threads now
  /// waiting so began. What those threads do comes first: requests they make on a shared
  /// connection can go out with the caller's, in one write rather than one each. Any fd of this
  /// hub counts, since the thread that will write is often woken by another one's. It takes
  /// no deadline (the limits bound it); throws what is injected meanwhile (green_exit,
  /// timeout_error), and hub_misuse from the hub loop.
  void yield_until_io_settles();
  /// How long a loaded hub (I/O ready at every poll) lets I/O settle: long enough for a few
  /// more responses on a connection to arrive and be read (HTTP/2 requests per write,
  /// measured: 1.2 after one poll, 3 after four, 4.8 after eight, 6.5 after sixteen; CPU per
  /// request within a percent or two after eight as after sixteen or 32), short against a
  /// request's time, which it is part of.
  static constexpr int io_settle_max_polls = 8;
  static constexpr duration io_settle_max_time = std::chrono::microseconds(100);
  /// Whether a green thread other than the running one is ready to run, or will be within
  /// io_settle_max_polls polls (manual_clock settles on it: a test runs everything runnable
  /// before moving its time on; a thread letting I/O settle costs that up to
  /// resumes_between_polls yields per poll, as only a poll lets it go on).
  bool others_ready() const noexcept { return !ready_->empty() || !settling_.empty(); }
  /// The next switch goes through the loop, which polls: for a thread that has run long
  /// without switching (a script the engine interrupted). resumes_between_polls bounds how
  /// late I/O, timers and calls from other threads are seen in resumes, not in time: one
  /// thread resumed by its own yields, 200 ms a turn, would have seen none for 51 s.
  void poll_at_next_switch() noexcept { resumes_since_poll_ = resumes_between_polls; }

  /// Watches an fd for its whole life; `w` must stay put until `remove_watch`. Use a
  /// watched_fd, which does both.
  void add_watch(io_watch& w);
  /// Stops watching; threads parked on it get std::system_error(EBADF).
  void remove_watch(io_watch& w) noexcept;

  /// From any OS thread: runs `call` in this hub's loop soon (it must not block; it may spawn).
  void call_soon_threadsafe(std::function<void()> call);
  /// Parks the caller (the original context) until no green thread is alive.
  void wait_all();

  /// This hub's one object of type T (made by `T()` on first use), for services that watch fds
  /// of their own through this hub (the DNS resolver). They go when the hub goes, after its
  /// green threads and before its poller.
  template <class T>
  T& local() {
    static const char tag = 0;
    for (auto& [key, object] : locals_)
      if (key == &tag) return *static_cast<T*>(object.get());
    auto object = std::make_shared<T>();
    T& out = *object;
    locals_.emplace_back(&tag, std::move(object));
    return out;
  }

 private:
  class start_timer;
  /// Ready threads resumed before the loop polls I/O and timers again, even if more are ready:
  /// bounds how late an fd or timer is seen while threads keep each other busy.
  static constexpr std::size_t resumes_between_polls = 256;

  static boost::context::fiber thread_entry(thread_record* t, boost::context::fiber&& from);
  bool park_until(wait_list& list, time_point until, const char* what);
  thread_record* require_current(const char* what) const {
    if (current_ == nullptr || this_thread_ != this) [[unlikely]]
      throw_misuse(what);
    return current_;
  }
  [[noreturn]] static void throw_no_hub();
  [[noreturn]] void throw_misuse(const char* what) const;
  /// Leaves `self` (already parked, queued or finished) for the next ready thread, or for the
  /// loop when none is ready or it is time to poll. Returns when `self` is resumed.
  void switch_away(thread_record* self, const char* what);
  thread_record* pick_next() noexcept;
  /// Jumps from `from` to `to`; returns when `from` is resumed.
  void jump(thread_record* from, thread_record* to);
  /// Run by whoever was just resumed: files the continuation of the context that jumped here,
  /// or frees it if it finished.
  void after_switch(boost::context::fiber&& from) noexcept;
  void loop();
  void finished(thread_record* t) noexcept;
  void poll_once();
  void run_cross_thread_calls();

  // The switch path is inline: after a jump, every return through a frame that the other
  // context did not also pass through mispredicts, so it is kept to the caller's own frame.
  static inline thread_local hub* this_thread_ = nullptr;
  hub_options options_;
  stack_pool stacks_;
  std::unique_ptr<io_backend> backend_;
  std::unique_ptr<ready_queue> ready_;
  timer_heap timers_;
  thread_record main_;
  thread_record loop_;  // the loop's own fiber: polls, fires timers
  thread_record* current_;
  thread_record* previous_ = nullptr;  // who jumped last: after_switch files its continuation
  std::size_t resumes_since_poll_ = 0;
  time_point last_idle_ = clock::now();
  busy_meter busy_;  // made on the hub's thread, with the hub
  thread_record* live_head_ = nullptr;
  std::size_t live_ = 0;
  std::uint64_t last_id_ = 0;
  std::uint64_t switches_ = 0;
  wait_list all_done_;
  wait_list settling_;  // threads letting I/O settle
  int settling_polls_ = 0;
  time_point settling_since_;
  bool loop_started_ = false;
  bool stopping_ = false;
  std::vector<io_event> events_;
  // Cross-thread wake-up: an eventfd the loop always watches for reading. Declared after
  // backend_: its watch stops before the poller goes.
  watched_fd wakeup_;
  std::mutex cross_mutex_;
  std::vector<std::function<void()>> cross_calls_;
  std::vector<std::function<void()>> running_calls_;
  std::vector<std::pair<const void*, std::shared_ptr<void>>> locals_;
};

inline hub* hub::current() noexcept {
  return this_thread_;
}

inline hub& hub::get() {
  if (this_thread_ == nullptr) [[unlikely]]
    throw_no_hub();
  return *this_thread_;
}

inline thread_record* hub::pick_next() noexcept {
  if (ready_->empty() || resumes_since_poll_ >= resumes_between_polls) return &loop_;
  ++resumes_since_poll_;
  return ready_->pop();
}

inline void hub::switch_away(thread_record* self, const char* what) {
  self->blocked_on_ = what;
  thread_record* next = pick_next();
  if (next != self) jump(self, next);
  current_ = self;
  self->state_ = thread_record::state::running;
  self->blocked_on_ = "";
  if (self->pending_) [[unlikely]]
    std::rethrow_exception(std::exchange(self->pending_, nullptr));
}

inline void hub::jump(thread_record* from, thread_record* to) {
  ++switches_;
  previous_ = from;
  current_ = to == &loop_ ? nullptr : to;
  to->state_ = thread_record::state::running;
  loop_started_ = true;
  asan::start_switch(&from->fake_stack_, to->stack_bottom_, to->stack_size_);
  boost::context::fiber back = std::move(to->context_).resume();
  asan::finish_switch(from->fake_stack_, &previous_->stack_bottom_, &previous_->stack_size_);
  after_switch(std::move(back));
}

inline void hub::after_switch(boost::context::fiber&& from) noexcept {
  thread_record* p = previous_;
  if (from) [[likely]] {
    p->context_ = std::move(from);
  } else if (p != &loop_) {  // the loop's fiber ends only when the hub goes
    finished(p);
  }
}

inline void hub::yield() {
  thread_record* self = require_current("sleep(0)");
  self->state_ = thread_record::state::ready;
  ready_->push(self);
  switch_away(self, "sleep(0)");
}

}  // namespace swarmlet::green
