#pragma once
// The one "try it; if it would block, park until the fd is ready and try again" loop, for every
// non-blocking operation on a watched fd (sockets, TLS, ZeroMQ, signalfd). It parks through
// hub::wait_io, the hub's one trampoline. Inline: it is on every recv and send.
#include <optional>
#include <type_traits>
#include <utility>

#include "clock.hpp"
#include "hub.hpp"
#include "watched_fd.hpp"

namespace swarmlet::green {

/// A try that could not complete: the fd must become ready in `direction` first.
struct would_block {
  io_direction direction;
};

/// What one try of a non-blocking operation gives: its value, or would_block.
template <class T>
struct io_attempt {
  io_attempt(T v) : value(std::move(v)) {}
  io_attempt(would_block b) : direction(b.direction) {}
  std::optional<T> value;
  io_direction direction = io_direction::read;  ///< when there is no value
};

namespace detail {
inline deadline next_deadline(const deadline& until) {
  return until;
}
template <class F>
requires std::is_invocable_r_v<deadline, F&> deadline next_deadline(F& until) {
  return until();
}
}  // namespace detail

/// Calls `try_once()` (returning io_attempt<T>) until it gives a value. After a would_block it
/// clears the fd's ready flag in that direction and parks until the poller sets it again.
/// `until` is a deadline for the whole call, or a function called before each park for that
/// park's deadline. Returns none once a park reaches its deadline; throws what is injected
/// while parked (green_exit, timeout_error) and std::system_error(EBADF) if the fd is closed.
/// `what` names the call for hub_misuse and for consoles ("recv", ...).
template <class Try, class Until>
auto retry_io(watched_fd_ref fd, const Until& until, const char* what, Try&& try_once)
    -> decltype(try_once().value) {
  for (;;) {
    auto attempt = try_once();
    if (attempt.value) return std::move(attempt.value);
    io_watch& w = fd.watch();
    w.ready_flag(attempt.direction) = false;
    if (!fd.home().wait_io(w, attempt.direction, detail::next_deadline(until), what))
      return std::nullopt;
  }
}

/// As retry_io for a syscall on a kernel fd that is only worth trying while the ready flag in
/// `direction` says it can succeed (no speculative EAGAIN probes): parks first when the flag is
/// clear. `op()` returns std::optional<T>: none means EAGAIN. It retries EINTR itself.
template <class Op, class Until>
auto retry_when_ready(watched_fd_ref fd, io_direction direction, const Until& until,
                      const char* what, Op&& op) -> decltype(op()) {
  using value_type = typename decltype(op())::value_type;
  return retry_io(fd, until, what, [&]() -> io_attempt<value_type> {
    if (fd.watch().ready_flag(direction)) {
      if (auto v = op()) return std::move(*v);
    }
    return would_block{direction};
  });
}

}  // namespace swarmlet::green
