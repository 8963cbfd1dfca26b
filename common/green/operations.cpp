#include "operations.hpp"

namespace swarmlet::green {

void sleep(duration d) {
  if (d <= duration::zero()) {
    hub::get().yield();
    return;
  }
  sleep_until(clock::now() + d);
}

void sleep_until(time_point when) {
  hub& h = hub::get();
  wait_list nobody_wakes_this;
  while (h.park(nobody_wakes_this, when, "sleep")) {
  }
}

std::uint64_t current_id() {
  thread_record* t = hub::get().current_thread();
  return t == nullptr ? 0 : t->id();
}

}  // namespace swarmlet::green
