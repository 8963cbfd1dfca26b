#pragma once
// What green code calls (as Boost.Fiber's operations.hpp): spawn, spawn_n, spawn_after, sleep,
// yield, sleep_until, current_id (kill is on the handle spawn returns; waiting on an fd is
// retry.hpp's).
// All of them act on this OS thread's hub and throw hub_misuse when there is none.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>

#include "clock.hpp"
#include "green_thread.hpp"
#include "hub.hpp"

namespace swarmlet::green {

namespace detail {
template <class F, class... A>
auto bind_call(F&& f, A&&... args) {
  return [f = std::forward<F>(f), ... args = std::forward<A>(args)]() mutable -> decltype(auto) {
    return std::invoke(std::move(f), std::move(args)...);
  };
}
template <class F, class... A>
using call_result_t = std::invoke_result_t<std::decay_t<F>, std::decay_t<A>...>;
}  // namespace detail

/// Starts `f(args...)` in a new green thread at the next hub turn; returns a joinable handle.
/// Arguments are copied or moved into the thread.
template <class F, class... A>
auto spawn(F&& f, A&&... args) -> green_thread<detail::call_result_t<F, A...>> {
  using R = detail::call_result_t<F, A...>;
  hub& h = hub::get();
  auto state = std::make_shared<detail::join_state<R>>();
  auto body = detail::bind_call(std::forward<F>(f), std::forward<A>(args)...);
  auto* t = new detail::task_record<R, decltype(body)>(&h, state, std::move(body));
  h.launch(t);
  h.make_ready(t);
  return green_thread<R>(std::move(state));
}

/// As spawn, but with no handle: the cheapest way to start a green thread. An exception it
/// raises is printed to stderr (nobody could wait for it).
template <class F, class... A>
void spawn_n(F&& f, A&&... args) {
  hub& h = hub::get();
  auto body = detail::bind_call(std::forward<F>(f), std::forward<A>(args)...);
  auto* t = new detail::task_record<void, decltype(body)>(&h, nullptr, std::move(body));
  h.launch(t);
  h.make_ready(t);
}

/// Starts `f(args...)` after `delay`. `kill()` or `cancel()` on the handle before then
/// cancels it: the function never runs and `wait()` throws green_exit.
template <class F, class... A>
auto spawn_after(duration delay, F&& f, A&&... args)
    -> green_thread<detail::call_result_t<F, A...>> {
  using R = detail::call_result_t<F, A...>;
  hub& h = hub::get();
  auto state = std::make_shared<detail::join_state<R>>();
  auto body = detail::bind_call(std::forward<F>(f), std::forward<A>(args)...);
  auto* t = new detail::task_record<R, decltype(body)>(&h, state, std::move(body));
  h.launch(t);
  h.schedule(t, delay);
  return green_thread<R>(std::move(state));
}

/// Parks the caller for `d`; `sleep(0s)` lets every other ready green thread run first.
/// Throws what is injected meanwhile (green_exit, timeout_error).
void sleep(duration d);
template <class Rep, class Period>
void sleep(std::chrono::duration<Rep, Period> d) {
  sleep(std::chrono::duration_cast<duration>(d));
}
/// Same as sleep(0s).
inline void yield() {
  hub::get().yield();
}
/// Parks the caller until `when`.
void sleep_until(time_point when);
/// Lets I/O settle first: see hub::yield_until_io_settles.
inline void yield_until_io_settles() {
  hub::get().yield_until_io_settles();
}

/// The running green thread's id (0 for the context that made the hub).
std::uint64_t current_id();

/// Bytes of the running stack left below the caller's frame: the green thread's, the hub
/// loop's, or the OS thread's own (the context that made the hub, or no hub); SIZE_MAX when
/// unknown. An overflow faults on a guard page: code that may nest without bound (a script's
/// calls through C) checks first. A green thread's stack is small (hub_options::stack_size).
std::size_t stack_left() noexcept;

}  // namespace swarmlet::green
