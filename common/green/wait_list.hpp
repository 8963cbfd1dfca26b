#pragma once
// Green threads parked on something (an event, a queue, a socket direction) wait in a
// wait_list: an intrusive FIFO of waiter nodes that live on the parked threads' own stacks,
// so parking allocates nothing.
#include <cstddef>

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
  void unlink() noexcept;

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
  void push_back(waiter& w) noexcept;
  /// Unlinks the first waiter and makes its thread ready; false when none waits.
  bool wake_one();
  /// Wakes every waiter; returns how many.
  std::size_t wake_all();

 private:
  friend class waiter;
  void remove(waiter& w) noexcept;
  waiter* head_ = nullptr;
  waiter* tail_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace swarmlet::green
