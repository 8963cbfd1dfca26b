#include "hub.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

#include "asan_fiber.hpp"
#include "errors.hpp"

namespace swarmlet::green {

/// spawn_after's delay: makes the scheduled thread ready when it fires.
class hub::start_timer final : public timer {
 public:
  explicit start_timer(thread_record* t) : thread_(t) {}

 private:
  void fire() override { thread_->home()->make_ready(thread_); }
  thread_record* thread_;
};

hub::hub(hub_options options)
    : options_(options),
      stacks_(options.stack_size, options.max_pooled_stacks),
      backend_(make_backend(options.backend)),
      ready_(std::make_unique<fifo_ready_queue>()),
      main_(this, 0),
      loop_(this, 0),
      current_(&main_) {
  if (this_thread_ != nullptr)
    throw hub_misuse(
        "this OS thread already has a hub: use hub::current() instead of a second one");
  const int efd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (efd < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  wakeup_ = watched_fd(*this, efd);
  wakeup_.watch().always_read = true;
  main_.state_ = thread_record::state::running;
  // The loop runs on a stack of its own, so the original context can park like a green thread.
  loop_.context_ = boost::context::fiber(
      std::allocator_arg, pooled_stack(stacks_), [this](boost::context::fiber&& from) {
        asan::finish_switch(nullptr, &previous_->stack_bottom_, &previous_->stack_size_);
        after_switch(std::move(from));
        loop();
        // Only the destructor stops the loop, from the original context, which it resumes.
        previous_ = &loop_;
        current_ = &main_;
        main_.state_ = thread_record::state::running;
        asan::start_switch(nullptr, main_.stack_bottom_, main_.stack_size_);
        return std::move(main_.context_);
      });
  loop_.stack_size_ = stacks_.last_allocated().size;
  loop_.stack_bottom_ = static_cast<char*>(stacks_.last_allocated().sp) - loop_.stack_size_;
  this_thread_ = this;
}

hub::~hub() {
  if (current_ != &main_) {
    std::fputs("swarmlet: a hub was destroyed from inside one of its green threads\n", stderr);
    std::abort();
  }
  // A thread may catch green_exit and block again: a few rounds, then give up on it.
  for (int round = 0; round < 3 && live_ > 0; ++round) {
    for (thread_record* t = live_head_; t != nullptr; t = t->next_live_)
      inject(t, std::make_exception_ptr(green_exit{}));
    park(all_done_, clock::now() + std::chrono::seconds(1), "hub shutdown");
  }
  if (loop_started_) {
    stopping_ = true;
    main_.state_ = thread_record::state::parked;
    jump(&main_, &loop_);
  }
  // Threads that refused to die: Boost.Context unwinds their stacks as their fibers go.
  while (live_head_ != nullptr) {
    thread_record* t = live_head_;
    live_head_ = t->next_live_;
    delete t;
  }
  loop_.context_ = {};
  // Services may still stop watching their fds: the poller is still here.
  while (!locals_.empty()) locals_.pop_back();
  this_thread_ = nullptr;
}

hub_options hub_options::from_environment() {
  hub_options o;
  if (const char* name = std::getenv("SWARMLET_HUB"); name != nullptr && *name != '\0') {
    try {
      o.backend = parse_backend_kind(name);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string("SWARMLET_HUB: ") + e.what());
    }
  }
  return o;
}

void hub::throw_no_hub() {
  throw hub_misuse("no hub on this OS thread: construct a swarmlet::green::hub first");
}

void hub::throw_misuse(const char* what) const {
  if (current_ == nullptr)
    throw hub_misuse(std::string("do not call blocking functions (") + what +
                     ") from the hub loop, e.g. in a timer callback: spawn a green thread");
  throw hub_misuse(std::string("blocking call (") + what +
                   ") on another OS thread's hub: use call_soon_threadsafe");
}

void hub::launch(thread_record* t) {
  t->context_ = boost::context::fiber(
      std::allocator_arg, pooled_stack(stacks_),
      [t](boost::context::fiber&& from) { return thread_entry(t, std::move(from)); });
  t->stack_size_ = stacks_.last_allocated().size;
  t->stack_bottom_ = static_cast<char*>(stacks_.last_allocated().sp) - t->stack_size_;
  t->next_live_ = live_head_;
  if (live_head_ != nullptr) live_head_->prev_live_ = t;
  live_head_ = t;
  ++live_;
}

void hub::schedule(thread_record* t, duration delay) {
  t->state_ = thread_record::state::scheduled;
  t->start_timer_ = std::make_unique<start_timer>(t);
  timers_.arm(*t->start_timer_, clock::now() + delay);
}

boost::context::fiber hub::thread_entry(thread_record* t, boost::context::fiber&& from) {
  hub* h = t->home_;
  asan::finish_switch(nullptr, &h->previous_->stack_bottom_, &h->previous_->stack_size_);
  h->after_switch(std::move(from));
  t->started_ = true;
  t->run();
  // Returning a continuation jumps there; Boost.Context then frees this stack, and the
  // resumed side's after_switch sees an empty continuation and frees the record.
  t->state_ = thread_record::state::done;
  thread_record* next = h->pick_next();
  h->previous_ = t;
  h->current_ = next == &h->loop_ ? nullptr : next;
  next->state_ = thread_record::state::running;
  asan::start_switch(nullptr, next->stack_bottom_, next->stack_size_);
  return std::move(next->context_);
}

void hub::make_ready(thread_record* t) noexcept {
  using s = thread_record::state;
  if (t->state_ == s::ready || t->state_ == s::running || t->state_ == s::done) return;
  if (t->state_ == s::scheduled) t->start_timer_.reset();
  t->state_ = s::ready;
  ready_->push(t);
}

void hub::inject(thread_record* t, std::exception_ptr error, bool replace) {
  if (t->state_ == thread_record::state::done) return;
  if (t == current_) std::rethrow_exception(error);
  if (t->pending_ && !replace) return;
  t->pending_ = std::move(error);
  if (t->parked_on_ != nullptr) t->parked_on_->unlink();
  make_ready(t);
}

void park_deadline::begin(waiter& w, time_point until, timer_heap& heap) {
  waiting_ = &w;
  wanted_ = until;
  heap_of_park_ = &heap;
  fired_ = false;
  if (!armed() || until < deadline()) heap.arm(*this, until);
}

void park_deadline::fire() {
  if (waiting_ == nullptr) return;  // a deadline of a park that ended: the next park arms again
  if (wanted_ > deadline()) {
    heap_of_park_->arm(*this, wanted_);
    return;
  }
  if (!waiting_->linked()) return;
  fired_ = true;
  thread_record* t = waiting_->thread();
  waiting_->unlink();
  t->home()->make_ready(t);
}

bool hub::park_until(wait_list& list, time_point until, const char* what) {
  thread_record* self = require_current(what);
  waiter w(self);
  list.push_back(w);
  park_deadline& d = self->park_deadline_;
  d.begin(w, until, timers_);
  struct ended {  // also when an exception is thrown in at the park point
    park_deadline& d;
    ~ended() { d.end(); }
  } guard{d};
  self->state_ = thread_record::state::parked;
  switch_away(self, what);
  return !d.end();
}

void hub::add_watch(io_watch& w) {
  backend_->add(w);
}

void hub::remove_watch(io_watch& w) noexcept {
  backend_->remove(w);
  for (wait_list* list : {&w.readers, &w.writers}) {
    // inject() unlinks the waiter, so each turn shortens the list.
    while (!list->empty())
      inject(list->front(),
             std::make_exception_ptr(std::system_error(
                 EBADF, std::generic_category(), "fd closed while a green thread waited on it")));
  }
}

void hub::call_soon_threadsafe(std::function<void()> call) {
  {
    std::lock_guard lock(cross_mutex_);
    cross_calls_.push_back(std::move(call));
  }
  const std::uint64_t one = 1;
  // A full counter (never in practice) still leaves the fd readable: the call will run.
  [[maybe_unused]] auto n = ::write(wakeup_.fd(), &one, sizeof one);
}

void hub::wait_all() {
  thread_record* self = require_current("wait_all");
  if (self != &main_)
    throw hub_misuse(
        "wait_all from a green thread would wait for itself: call it from the "
        "context that made the hub");
  while (live_ > 0) park(all_done_, std::nullopt, "wait_all");
}

void hub::loop() {
  for (;;) {
    // Only the destructor sets stopping_, after its kill rounds: threads still alive then have
    // refused to die, and their fibers are unwound as their records go.
    if (stopping_) return;
    poll_once();
    resumes_since_poll_ = 0;
    if (!ready_->empty()) {
      ++resumes_since_poll_;
      jump(&loop_, ready_->pop());
    }
  }
}

void hub::finished(thread_record* t) noexcept {
  if (t->prev_live_ != nullptr) {
    t->prev_live_->next_live_ = t->next_live_;
  } else {
    live_head_ = t->next_live_;
  }
  if (t->next_live_ != nullptr) t->next_live_->prev_live_ = t->prev_live_;
  --live_;
  delete t;
  if (live_ == 0) all_done_.wake_all();
}

void hub::poll_once() {
  std::chrono::nanoseconds timeout{-1};
  time_point wake_by = time_point::max();  // when the wait is due to end without I/O
  const time_point waits_at = clock::now();
  busy_.wait_begins(waits_at);
  if (!ready_->empty() || !settling_.empty()) {
    timeout = std::chrono::nanoseconds{0};
  } else if (!timers_.empty()) {
    wake_by = timers_.next_deadline();
    timeout = std::max(std::chrono::nanoseconds{0}, wake_by - waits_at);
  }
  events_.clear();
  backend_->wait(timeout, events_);
  bool turn_began = false;
  for (const io_event& ev : events_) {
    io_watch& w = *ev.watch;
    if (&w == &wakeup_.watch()) {
      // Calls from other threads (a user's start, loading its class) are this turn's work
      // too: the turn begins before them. Rare, so the clock reading is off the request path.
      busy_.wait_ended(clock::now());
      turn_began = true;
      run_cross_thread_calls();
      continue;
    }
    if (ev.hangup) w.hangup = true;
    if (ev.readable) {
      w.readable = true;
      ++w.read_events;
      w.readers.wake_all();
    }
    if (ev.writable) {
      w.writable = true;
      w.writers.wake_all();
    }
  }
  const time_point now = clock::now();  // one reading for the four below
  if (!turn_began) busy_.wait_ended(now);
  const bool idled = events_.empty() && timeout.count() != 0;
  const bool settling = !settling_.empty();
  if (!idled && !settling && timers_.empty()) return;
  // Idle until the wait was due to end: a thread the OS or the host ran late had no spare
  // time meanwhile (it comes back to a backlog).
  if (idled) last_idle_ = std::min(now, wake_by);
  if (settling && (events_.empty() || ++settling_polls_ >= io_settle_max_polls ||
                   now - settling_since_ >= io_settle_max_time))
    settling_.wake_all();
  if (!timers_.empty()) timers_.fire_due(now);
}

void hub::yield_until_io_settles() {
  if (settling_.empty()) {
    settling_polls_ = 0;
    settling_since_ = clock::now();
  }
  park(settling_, std::nullopt, "letting I/O settle");
}

void hub::run_cross_thread_calls() {
  std::uint64_t count;
  [[maybe_unused]] auto n = ::read(wakeup_.fd(), &count, sizeof count);
  {
    std::lock_guard lock(cross_mutex_);
    running_calls_.swap(cross_calls_);
  }
  for (auto& call : running_calls_) {
    try {
      call();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "swarmlet: a cross-thread call raised: %s\n", e.what());
    }
  }
  running_calls_.clear();
}

}  // namespace swarmlet::green
