#pragma once
// eventlet's GreenPool: at most `size` green threads at once; spawn blocks while it is full.
#include <cstddef>
#include <memory>
#include <utility>

#include "operations.hpp"
#include "wait_list.hpp"

namespace swarmlet::green {

template <class R>
class green_pile;

class green_pool {
 public:
  explicit green_pool(std::size_t size = 1000) : state_(std::make_shared<shared>(size)) {}
  green_pool(const green_pool&) = delete;
  green_pool& operator=(const green_pool&) = delete;

  /// Runs `f(args...)` in a new green thread of the pool, first blocking while the pool is
  /// full. Returns its joinable handle.
  template <class F, class... A>
  auto spawn(F&& f, A&&... args) {
    take_slot();
    return green::spawn([s = state_, body = detail::bind_call(
                                         std::forward<F>(f),
                                         std::forward<A>(args)...)]() mutable -> decltype(auto) {
      slot_guard g{*s};
      return body();
    });
  }
  /// As spawn, with no handle (exceptions are printed, as with green::spawn_n).
  template <class F, class... A>
  void spawn_n(F&& f, A&&... args) {
    take_slot();
    green::spawn_n([s = state_, body = detail::bind_call(std::forward<F>(f),
                                                         std::forward<A>(args)...)]() mutable {
      slot_guard g{*s};
      body();
    });
  }
  /// Blocks until every green thread of the pool has ended.
  void waitall() {
    while (state_->running > 0) hub::get().park(state_->idle, std::nullopt, "green_pool::waitall");
  }
  /// Changes the limit; threads beyond a smaller one run to their end.
  void resize(std::size_t size) {
    state_->size = size;
    for (std::size_t n = free(); n > 0 && state_->slot_waiters.wake_one(); --n) {
    }
  }
  std::size_t running() const noexcept { return state_->running; }
  std::size_t free() const noexcept {
    return state_->running >= state_->size ? 0 : state_->size - state_->running;
  }
  std::size_t size() const noexcept { return state_->size; }
  /// Green threads blocked in spawn, waiting for a slot.
  std::size_t waiting() const noexcept { return state_->slot_waiters.size(); }

  /// Calls `f` on every element of `inputs` in the pool's threads; the results come out of
  /// the returned pile in the order of `inputs`, whatever order they finish in.
  template <class F, class Range>
  auto imap(F f, const Range& inputs);

 private:
  // Shared with the pool's threads, so the pool object may go before they end.
  struct shared {
    explicit shared(std::size_t n) : size(n) {}
    std::size_t size;
    std::size_t running = 0;
    wait_list slot_waiters;
    wait_list idle;
  };
  struct slot_guard {
    shared& s;
    ~slot_guard() {
      --s.running;
      s.slot_waiters.wake_one();
      if (s.running == 0) s.idle.wake_all();
    }
  };
  void take_slot() {
    hub& h = hub::get();
    while (state_->running >= state_->size) {
      try {
        h.park(state_->slot_waiters, std::nullopt, "green_pool::spawn");
      } catch (...) {
        if (state_->running < state_->size) state_->slot_waiters.wake_one();
        throw;
      }
    }
    ++state_->running;
  }
  std::shared_ptr<shared> state_;
};

}  // namespace swarmlet::green

#include "green_pile.hpp"

namespace swarmlet::green {

template <class F, class Range>
auto green_pool::imap(F f, const Range& inputs) {
  using R = std::invoke_result_t<F&, const typename Range::value_type&>;
  green_pile<R> pile(*this);
  for (const auto& input : inputs) pile.spawn(f, input);
  return pile;
}

}  // namespace swarmlet::green
