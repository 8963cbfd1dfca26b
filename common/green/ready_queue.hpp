#pragma once
// The order in which ready green threads run: a policy behind a narrow interface, apart from
// the hub's mechanism (as Boost.Fiber's algo::algorithm).
#include <cstddef>
#include <memory>

#include "thread_record.hpp"

namespace swarmlet::green {

class ready_queue {
 public:
  virtual ~ready_queue() = default;
  virtual void push(thread_record* t) noexcept = 0;
  /// The next thread to run; only when not empty.
  virtual thread_record* pop() noexcept = 0;
  virtual bool empty() const noexcept = 0;
};

/// First readied, first run: what eventlet and gevent do. Intrusive: pushing allocates nothing.
class fifo_ready_queue final : public ready_queue {
 public:
  void push(thread_record* t) noexcept override {
    t->next_ready = nullptr;
    if (tail_ != nullptr) {
      tail_->next_ready = t;
    } else {
      head_ = t;
    }
    tail_ = t;
  }
  thread_record* pop() noexcept override {
    thread_record* t = head_;
    head_ = t->next_ready;
    if (head_ == nullptr) tail_ = nullptr;
    return t;
  }
  bool empty() const noexcept override { return head_ == nullptr; }

 private:
  thread_record* head_ = nullptr;
  thread_record* tail_ = nullptr;
};

}  // namespace swarmlet::green
