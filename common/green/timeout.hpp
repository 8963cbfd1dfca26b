#pragma once
// eventlet's Timeout as a scope: if the green thread that made it is still inside the scope
// when it expires, timeout_error is thrown at the thread's park point. Nested scopes work:
// the error names its source, and the earliest expiry wins.
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "clock.hpp"
#include "errors.hpp"
#include "timer.hpp"

namespace swarmlet::green {

class thread_record;

class timeout {
 public:
  /// Arms for the running green thread. Throws hub_misuse outside a green thread. `why`: what
  /// its timeout_error says instead of "timed out" ("on_stop did not end within 30s").
  explicit timeout(duration d, std::string why = {});
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
  std::string why_;
  bool expired_ = false;
  expiry timer_{*this};
};

/// As with_timeout(d, f) below, its timeout_error saying `why` where something inside reports
/// it (a script's error: "on_stop did not end within 30s").
template <class F>
auto with_timeout(duration d, std::string why, F&& f) {
  using R = std::invoke_result_t<F>;
  timeout t(d, std::move(why));
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

/// Runs `f()` under a timeout; the silent variant (eventlet's `Timeout(s, False)`): returns
/// none (or false for void) when this timeout expired, rethrows any other exception.
template <class F>
auto with_timeout(duration d, F&& f) {
  return with_timeout(d, std::string(), std::forward<F>(f));
}

}  // namespace swarmlet::green
