#pragma once
// Counting semaphores (eventlet's Semaphore and BoundedSemaphore).
#include <cstddef>
#include <optional>

#include "clock.hpp"
#include "wait_list.hpp"

namespace swarmlet::green {

class semaphore {
 public:
  explicit semaphore(std::size_t count = 1) : count_(count) {}
  semaphore(const semaphore&) = delete;
  semaphore& operator=(const semaphore&) = delete;
  virtual ~semaphore() = default;

  /// Takes one unit, blocking while there is none; false when `timeout` passed first.
  bool acquire(std::optional<duration> timeout = std::nullopt);
  /// Takes one unit if one is free now.
  bool try_acquire() noexcept;
  /// Returns one unit and wakes the longest waiter.
  virtual void release();
  std::size_t balance() const noexcept { return count_; }
  std::size_t waiting() const noexcept { return waiters_.size(); }

 protected:
  std::size_t count_;
  wait_list waiters_;
};

/// A semaphore whose release beyond its initial count is a bug: it throws std::logic_error.
class bounded_semaphore final : public semaphore {
 public:
  explicit bounded_semaphore(std::size_t count = 1) : semaphore(count), limit_(count) {}
  void release() override;

 private:
  std::size_t limit_;
};

/// Holds one unit of a semaphore for a scope.
class semaphore_guard {
 public:
  explicit semaphore_guard(semaphore& s) : s_(s) { s_.acquire(); }
  ~semaphore_guard() { s_.release(); }
  semaphore_guard(const semaphore_guard&) = delete;
  semaphore_guard& operator=(const semaphore_guard&) = delete;

 private:
  semaphore& s_;
};

}  // namespace swarmlet::green
