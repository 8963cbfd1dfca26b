#pragma once
// Green threads parked on something (an event, a queue, a socket direction) wait in a
// wait_list: an intrusive FIFO of waiter nodes that live on the parked threads' own stacks,
// so parking allocates nothing.
#include <cstddef>

#include "thread_record.hpp"

namespace swarmlet::green {

class thread_record;
class wait_list;

/// One parked green thread's place in a wait_list. Unlinks itself when destroyed, so a thread
/// that leaves a park point by an exception never leaves a dangling node behind.
class waiter {
 public:
  explicit waiter(thread_record* thread) noexcept : thread_(thread) {}
  waiter(const waiter&) = delete;
  waiter& operator=(const waiter&) = delete;
  ~waiter() { unlink(); }

  thread_record* thread() const noexcept { return thread_; }
  bool linked() const noexcept { return list_ != nullptr; }
  inline void unlink() noexcept;

 private:
  friend class wait_list;
  thread_record* thread_;
  waiter* prev_ = nullptr;
  waiter* next_ = nullptr;
  wait_list* list_ = nullptr;
};

class wait_list {
 public:
  wait_list() = default;
  wait_list(const wait_list&) = delete;
  wait_list& operator=(const wait_list&) = delete;
  ~wait_list();

  bool empty() const noexcept { return head_ == nullptr; }
  std::size_t size() const noexcept { return size_; }
  /// The longest-waiting thread; only when not empty.
  thread_record* front() const noexcept { return head_->thread(); }
  inline void push_back(waiter& w) noexcept;
  /// Unlinks the first waiter and makes its thread ready; false when none waits.
  bool wake_one();
  /// Wakes every waiter; returns how many.
  std::size_t wake_all();

 private:
  friend class waiter;
  inline void remove(waiter& w) noexcept;
  waiter* head_ = nullptr;
  waiter* tail_ = nullptr;
  std::size_t size_ = 0;
};

inline void waiter::unlink() noexcept {
  if (list_ != nullptr) list_->remove(*this);
}

inline void wait_list::push_back(waiter& w) noexcept {
  w.unlink();
  w.list_ = this;
  w.prev_ = tail_;
  w.next_ = nullptr;
  if (tail_ != nullptr) {
    tail_->next_ = &w;
  } else {
    head_ = &w;
  }
  tail_ = &w;
  ++size_;
  w.thread_->parked_on_ = &w;
}

inline void wait_list::remove(waiter& w) noexcept {
  if (w.prev_ != nullptr) {
    w.prev_->next_ = w.next_;
  } else {
    head_ = w.next_;
  }
  if (w.next_ != nullptr) {
    w.next_->prev_ = w.prev_;
  } else {
    tail_ = w.prev_;
  }
  w.prev_ = w.next_ = nullptr;
  w.list_ = nullptr;
  if (w.thread_->parked_on_ == &w) w.thread_->parked_on_ = nullptr;
  --size_;
}

}  // namespace swarmlet::green
