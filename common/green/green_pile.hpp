#pragma once
// eventlet's GreenPile: spawn work into a pool, then take the results in spawning order.
#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <utility>

#include "green_thread.hpp"

namespace swarmlet::green {

class green_pool;

template <class R>
class green_pile {
 public:
  /// A pile with a pool of its own of `size` threads.
  explicit green_pile(std::size_t size = 1000)
      : own_pool_(std::make_shared<green_pool>(size)), pool_(own_pool_.get()) {}
  /// A pile that spawns into `pool` (which must outlive the spawns).
  explicit green_pile(green_pool& pool) : pool_(&pool) {}

  /// Spawns `f(args...)` into the pool (blocking while the pool is full).
  template <class F, class... A>
  void spawn(F&& f, A&&... args) {
    pending_.push_back(pool_->spawn(std::forward<F>(f), std::forward<A>(args)...));
  }
  /// The result of the earliest spawn not yet taken (waiting for it), none when all are taken.
  /// Rethrows that spawn's exception.
  std::optional<std::conditional_t<std::is_void_v<R>, bool, R>> next() {
    if (pending_.empty()) return std::nullopt;
    green_thread<R> t = std::move(pending_.front());
    pending_.pop_front();
    if constexpr (std::is_void_v<R>) {
      t.wait();
      return true;
    } else {
      return t.wait();
    }
  }
  /// Spawns not yet taken.
  std::size_t size() const noexcept { return pending_.size(); }

 private:
  std::shared_ptr<green_pool> own_pool_;
  green_pool* pool_;
  std::deque<green_thread<R>> pending_;
};

}  // namespace swarmlet::green
