#include "operations.hpp"

#include <cstdint>

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

std::size_t stack_left() noexcept {
  const hub* h = hub::current();
  const void* stack_bottom = h == nullptr ? nullptr : h->running_stack_bottom();
  if (stack_bottom == nullptr) return SIZE_MAX;
  // The frame itself, not a local's address: a sanitizer may keep locals on a stack of its own.
  const auto here = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
  const auto bottom = reinterpret_cast<std::uintptr_t>(stack_bottom);
  return here > bottom ? here - bottom : 0;
}

}  // namespace swarmlet::green
