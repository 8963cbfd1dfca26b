#pragma once
// Timers of one hub: an intrusive binary heap ordered by (deadline, arming order), so timers
// with equal deadlines fire in the order they were armed, and cancelling is O(log n).
#include <cstdint>
#include <limits>
#include <vector>

#include "clock.hpp"

namespace swarmlet::green {

class timer_heap;

/// One timer. Derive and override `fire()`; it runs in the hub loop and must not block.
/// A timer cancels itself when destroyed, so owning it on a green thread's stack is safe.
class timer {
 public:
  timer() = default;
  timer(const timer&) = delete;
  timer& operator=(const timer&) = delete;
  virtual ~timer();

  bool armed() const noexcept { return heap_ != nullptr; }
  time_point deadline() const noexcept { return deadline_; }
  /// Disarms the timer; harmless when it is not armed.
  void cancel() noexcept;

 protected:
  virtual void fire() = 0;

 private:
  friend class timer_heap;
  static constexpr std::size_t not_in_heap = std::numeric_limits<std::size_t>::max();
  time_point deadline_{};
  std::uint64_t sequence_ = 0;
  std::size_t index_ = not_in_heap;
  timer_heap* heap_ = nullptr;
};

/// The hub's timers. Not thread-safe: one per hub.
class timer_heap {
 public:
  ~timer_heap();
  /// Arms `t` to fire at `when`; re-arms it if it was armed.
  void arm(timer& t, time_point when);
  void cancel(timer& t) noexcept;
  bool empty() const noexcept { return heap_.empty(); }
  std::size_t size() const noexcept { return heap_.size(); }
  /// The earliest deadline; only when not empty.
  time_point next_deadline() const noexcept { return heap_.front()->deadline_; }
  /// Fires every timer due at `now`, earliest first; returns how many fired.
  std::size_t fire_due(time_point now);

 private:
  static bool before(const timer* a, const timer* b) noexcept {
    return a->deadline_ < b->deadline_ ||
           (a->deadline_ == b->deadline_ && a->sequence_ < b->sequence_);
  }
  void sift_up(std::size_t i) noexcept;
  void sift_down(std::size_t i) noexcept;
  void place(std::size_t i, timer* t) noexcept {
    heap_[i] = t;
    t->index_ = i;
  }
  std::vector<timer*> heap_;
  std::uint64_t next_sequence_ = 0;
};

}  // namespace swarmlet::green
