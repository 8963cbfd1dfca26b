#include "operations.hpp"

#include <pthread.h>

#include <cstdint>

namespace swarmlet::green {
namespace {

/// The lowest address this OS thread's own stack may grow to (0: unknown). Read once a thread:
/// for the main thread glibc reads /proc/self/maps.
std::uintptr_t os_stack_bottom() noexcept {
  thread_local const std::uintptr_t bottom = [] {
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) != 0) return std::uintptr_t{0};
    void* low = nullptr;
    std::size_t size = 0;
    const bool known = pthread_attr_getstack(&attr, &low, &size) == 0;
    pthread_attr_destroy(&attr);
    if (!known) return std::uintptr_t{0};
    // `ulimit -s unlimited` gives the whole gap below the stack (terabytes): held to 256 MiB,
    // the check still stops a recursion before LuaJIT's own limit does.
    constexpr std::size_t most = std::size_t{256} << 20;
    const auto bottom = reinterpret_cast<std::uintptr_t>(low);
    return size > most ? bottom + (size - most) : bottom;
  }();
  return bottom;
}

}  // namespace

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
  // On the OS thread's own stack: a master loads a scenario's scripts there.
  const auto bottom =
      stack_bottom != nullptr ? reinterpret_cast<std::uintptr_t>(stack_bottom) : os_stack_bottom();
  if (bottom == 0) return SIZE_MAX;
  // The frame itself, not a local's address: a sanitizer may keep locals on a stack of its own.
  const auto here = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
  return here > bottom ? here - bottom : 0;
}

}  // namespace swarmlet::green
