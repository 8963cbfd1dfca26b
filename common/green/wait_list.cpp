#include "wait_list.hpp"

#include "hub.hpp"

namespace swarmlet::green {

void waiter::unlink() noexcept {
  if (list_ != nullptr) list_->remove(*this);
}

wait_list::~wait_list() {
  while (head_ != nullptr) remove(*head_);
}

void wait_list::push_back(waiter& w) noexcept {
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

void wait_list::remove(waiter& w) noexcept {
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

bool wait_list::wake_one() {
  if (head_ == nullptr) return false;
  thread_record* t = head_->thread_;
  remove(*head_);
  t->home()->make_ready(t);
  return true;
}

std::size_t wait_list::wake_all() {
  std::size_t n = 0;
  while (wake_one()) ++n;
  return n;
}

}  // namespace swarmlet::green
