#pragma once
// A green thread's outcome and the joinable handle that `spawn` returns (eventlet's
// GreenThread): `wait()` returns the function's value or rethrows its exception.
#include <boost/context/fiber.hpp>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "errors.hpp"
#include "hub.hpp"
#include "thread_record.hpp"
#include "wait_list.hpp"

namespace swarmlet::green {

namespace detail {

/// Prints an exception that nobody will ever see otherwise; at most once per exception.
void report_unjoined(std::uint64_t thread_id, const std::exception_ptr& error) noexcept;

template <class T>
struct join_state {
  using value_type = std::conditional_t<std::is_void_v<T>, std::monostate, T>;
  ~join_state() {
    if (error && !error_seen) report_unjoined(thread_id, error);
  }
  std::uint64_t thread_id = 0;
  thread_record* thread = nullptr;  // null once done
  bool done = false;
  bool killed = false;
  bool error_seen = false;
  std::optional<value_type> value;
  std::exception_ptr error;
  wait_list joiners;
};

/// A green thread running `fn`, whose outcome goes to `state` (or, for spawn_n, is reported).
template <class T, class Fn>
class task_record final : public thread_record {
 public:
  task_record(hub* home, std::shared_ptr<join_state<T>> state, Fn&& fn)
      : thread_record(home, home->next_thread_id()), state_(std::move(state)), fn_(std::move(fn)) {
    if (state_) {
      state_->thread_id = id();
      state_->thread = this;
    }
  }

 private:
  void run() override {
    std::exception_ptr error = take_pending();
    bool killed = false;
    if (!error) {
      try {
        if constexpr (std::is_void_v<T>) {
          fn_();
          if (state_) state_->value.emplace();
        } else {
          auto v = fn_();
          if (state_) state_->value.emplace(std::move(v));
        }
      } catch (const green_exit&) {
        error = std::current_exception();
        killed = true;
      } catch (const boost::context::detail::forced_unwind&) {
        throw;  // the hub is tearing this fiber down: let Boost.Context finish unwinding it
      } catch (...) {
        error = std::current_exception();
      }
    } else {
      killed = true;
    }
    if (!state_) {
      if (error && !killed) report_unjoined(id(), error);
      return;
    }
    state_->error = error;
    state_->killed = killed;
    state_->error_seen = killed;  // a kill is asked for, not a failure to report
    state_->done = true;
    state_->thread = nullptr;
    state_->joiners.wake_all();
  }

  std::shared_ptr<join_state<T>> state_;
  Fn fn_;
};

}  // namespace detail

/// Handle to a spawned green thread. Copies share the same thread.
template <class T>
class green_thread {
 public:
  green_thread() = default;
  explicit green_thread(std::shared_ptr<detail::join_state<T>> s) : state_(std::move(s)) {}

  /// Blocks the caller until the thread ends; returns its value or rethrows its exception
  /// (green_exit if it was killed). May be called many times, from any thread of the same hub.
  T wait() {
    while (!state_->done) hub::get().park(state_->joiners, std::nullopt, "green_thread::wait");
    if (state_->error) {
      state_->error_seen = true;
      std::rethrow_exception(state_->error);
    }
    if constexpr (!std::is_void_v<T>) return *state_->value;
  }
  /// Blocks the caller until the thread ends, and leaves its value or exception to wait():
  /// anything thrown out of it (a kill, a timeout) is the caller's own.
  void join() {
    while (!state_->done) hub::get().park(state_->joiners, std::nullopt, "green_thread::join");
  }
  /// False for a default-made handle that names no thread.
  bool valid() const noexcept { return state_ != nullptr; }
  /// True once the thread has ended (returned, raised or been killed).
  bool dead() const noexcept { return state_->done; }
  bool killed() const noexcept { return state_->killed; }
  std::uint64_t id() const noexcept { return state_->thread_id; }
  /// Throws green_exit inside the thread and lets it run to unwind; a thread that has not
  /// started never runs its function. Returns once the thread has had its turn to die.
  /// Cancels a spawn_after that has not fired yet.
  void kill() {
    if (state_->done) return;
    hub& h = *state_->thread->home();
    h.inject(state_->thread, std::make_exception_ptr(green_exit{}));
    if (h.current_thread() != nullptr) h.yield();
  }
  /// As kill(), without switching: the thread unwinds at its next turn. For a caller that must
  /// not let other green threads run now (one that would find shared state changed, or be hit
  /// by a timeout after it took something).
  void kill_soon() {
    if (state_->done) return;
    state_->thread->home()->inject(state_->thread, std::make_exception_ptr(green_exit{}));
  }
  /// eventlet's GreenThread.cancel: kills the thread only if it has not started yet.
  void cancel() {
    if (!state_->done && !state_->thread->started()) kill();
  }

 private:
  std::shared_ptr<detail::join_state<T>> state_;
};

}  // namespace swarmlet::green
