#pragma once
// eventlet's Event: sent once, waited for by any number of green threads.
#include <exception>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <variant>

#include "clock.hpp"
#include "hub.hpp"
#include "wait_list.hpp"

namespace swarmlet::green {

template <class T = void>
class event {
 public:
  using value_type = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

  /// Wakes every waiter with `value`. Throws std::logic_error if already sent.
  template <class... A>
  void send(A&&... value) {
    if (ready()) throw std::logic_error("event already sent: an event is sent once (use reset)");
    value_.emplace(std::forward<A>(value)...);
    waiters_.wake_all();
  }
  /// Wakes every waiter, which then throws `error`. Throws std::logic_error if already sent.
  void send_exception(std::exception_ptr error) {
    if (ready()) throw std::logic_error("event already sent: an event is sent once (use reset)");
    error_ = std::move(error);
    waiters_.wake_all();
  }
  bool ready() const noexcept { return value_.has_value() || error_ != nullptr; }
  /// Makes the event unsent again, for reuse (eventlet's reset).
  void reset() noexcept {
    value_.reset();
    error_ = nullptr;
  }

  /// Blocks until sent; returns the value or rethrows the sent exception.
  T wait() {
    while (!ready()) hub::get().park(waiters_, std::nullopt, "event::wait");
    return outcome();
  }
  /// As wait(), giving up after `timeout`: none when it expired.
  std::optional<value_type> wait_for(duration timeout) {
    const time_point until = clock::now() + timeout;
    while (!ready()) {
      if (!hub::get().park(waiters_, until, "event::wait")) break;
    }
    if (!ready()) return std::nullopt;
    if constexpr (std::is_void_v<T>) {
      outcome();
      return std::monostate{};
    } else {
      return outcome();
    }
  }

 private:
  T outcome() {
    if (error_) std::rethrow_exception(error_);
    if constexpr (!std::is_void_v<T>) return *value_;
  }
  std::optional<value_type> value_;
  std::exception_ptr error_;
  wait_list waiters_;
};

}  // namespace swarmlet::green
