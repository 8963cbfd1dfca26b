#include "wait_list.hpp"

#include "hub.hpp"

namespace swarmlet::green {

wait_list::~wait_list() {
  while (head_ != nullptr) remove(*head_);
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
