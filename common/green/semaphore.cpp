#include "semaphore.hpp"

#include <stdexcept>

#include "hub.hpp"

namespace swarmlet::green {

bool semaphore::acquire(std::optional<duration> timeout) {
  const deadline until = deadline_after(timeout);
  hub& h = hub::get();
  while (count_ == 0) {
    try {
      if (!h.park(waiters_, until, "semaphore::acquire")) {
        if (count_ == 0) return false;
        break;
      }
    } catch (...) {
      // Woken and then killed: pass the wake-up on, or a unit would sit unused.
      if (count_ > 0) waiters_.wake_one();
      throw;
    }
  }
  --count_;
  return true;
}

bool semaphore::try_acquire() noexcept {
  if (count_ == 0) return false;
  --count_;
  return true;
}

void semaphore::release() {
  ++count_;
  waiters_.wake_one();
}

void bounded_semaphore::release() {
  if (count_ >= limit_)
    throw std::logic_error("bounded_semaphore released more often than acquired");
  semaphore::release();
}

}  // namespace swarmlet::green
