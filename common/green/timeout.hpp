#pragma once
// eventlet's Timeout as a scope: if the green thread that made it is still inside the scope
// when it expires, timeout_error is thrown at the thread's park point. Nested scopes work:
// the error names its source, and the earliest expiry wins.
#include <optional>
#include <type_traits>
#include <utility>

#include "clock.hpp"
#include "errors.hpp"
#include "timer.hpp"

namespace swarmlet::green {

class thread_record;

class timeout {
 public:
  /// Arms for the running green thread. Throws hub_misuse outside a green thread.
  explicit timeout(duration d);
  ~timeout() { cancel(); }
  timeout(const timeout&) = delete;
  timeout& operator=(const timeout&) = delete;

  /// Disarms; the scope then never throws.
  void cancel() noexcept { timer_.cancel(); }
  /// True once it fired.
  bool expired() const noexcept { return expired_; }
  /// True while armed.
  bool pending() const noexcept { return timer_.armed(); }

 private:
  class expiry final : public timer {
   public:
    explicit expiry(timeout& owner) : owner_(owner) {}

   private:
    void fire() override;
    timeout& owner_;
  };
  thread_record* thread_;
  bool expired_ = false;
  expiry timer_{*this};
};

/// Runs `f()` under a timeout; the silent variant (eventlet's `Timeout(s, False)`): returns
/// none (or false for void) when this timeout expired, rethrows any other exception.
template <class F>
auto with_timeout(duration d, F&& f) {
  using R = std::invoke_result_t<F>;
  timeout t(d);
  try {
    if constexpr (std::is_void_v<R>) {
      std::forward<F>(f)();
      return true;
    } else {
      return std::optional<R>(std::forward<F>(f)());
    }
  } catch (const timeout_error& e) {
    if (e.source() != &t) throw;
    if constexpr (std::is_void_v<R>) {
      return false;
    } else {
      return std::optional<R>();
    }
  }
}

}  // namespace swarmlet::green
