#include "timer.hpp"

#include <utility>

namespace swarmlet::green {

timer::~timer() {
  cancel();
}

void timer::cancel() noexcept {
  if (heap_ != nullptr) heap_->cancel(*this);
}

timer_heap::~timer_heap() {
  for (timer* t : heap_) {
    t->heap_ = nullptr;
    t->index_ = timer::not_in_heap;
  }
}

void timer_heap::arm(timer& t, time_point when) {
  if (t.heap_ != nullptr) t.heap_->cancel(t);
  t.deadline_ = when;
  t.sequence_ = next_sequence_++;
  t.heap_ = this;
  heap_.push_back(&t);
  t.index_ = heap_.size() - 1;
  sift_up(t.index_);
}

void timer_heap::cancel(timer& t) noexcept {
  if (t.heap_ != this) return;
  std::size_t i = t.index_;
  timer* last = heap_.back();
  heap_.pop_back();
  t.heap_ = nullptr;
  t.index_ = timer::not_in_heap;
  if (last == &t) return;
  place(i, last);
  sift_up(i);
  sift_down(last->index_);
}

std::size_t timer_heap::fire_due(time_point now) {
  std::size_t fired = 0;
  while (!heap_.empty() && heap_.front()->deadline_ <= now) {
    timer* t = heap_.front();
    cancel(*t);
    ++fired;
    // fire() may arm or cancel other timers (or this one again): the heap is consistent here.
    t->fire();
  }
  return fired;
}

void timer_heap::sift_up(std::size_t i) noexcept {
  timer* t = heap_[i];
  while (i > 0) {
    std::size_t parent = (i - 1) / 2;
    if (!before(t, heap_[parent])) break;
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, t);
}

void timer_heap::sift_down(std::size_t i) noexcept {
  timer* t = heap_[i];
  const std::size_t n = heap_.size();
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && before(heap_[child + 1], heap_[child])) ++child;
    if (!before(heap_[child], t)) break;
    place(i, heap_[child]);
    i = child;
  }
  place(i, t);
}

}  // namespace swarmlet::green
