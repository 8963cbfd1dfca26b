#pragma once
// An fd that a hub watches for its whole life: a move-only owner that registers it and, when it
// goes, stops the watch and closes the fd; and a borrowing view for functions that only use it
// (as cppzmq's socket_t and socket_ref).
#include <memory>

#include "io_watch.hpp"

namespace swarmlet::green {

class hub;

/// Who closes a watched fd: the watched_fd, or another library (ZeroMQ closes its ZMQ_FD).
enum class fd_ownership { owned, borrowed };

/// A borrowed watched fd: the hub that watches it and its readiness record. Cheap to copy; valid
/// while the watched_fd it came from lives.
class watched_fd_ref {
 public:
  watched_fd_ref(hub& home, io_watch& watch) noexcept : home_(&home), watch_(&watch) {}

  hub& home() const noexcept { return *home_; }
  io_watch& watch() const noexcept { return *watch_; }
  int fd() const noexcept { return watch_->fd; }

 private:
  hub* home_;
  io_watch* watch_;
};

class watched_fd {
 public:
  /// No fd (valid() is false).
  watched_fd() noexcept = default;
  /// Registers `fd` with this thread's hub. Throws hub_misuse when the thread has none, and
  /// what the poller throws when it refuses the fd (an owned fd is closed then).
  explicit watched_fd(int fd, fd_ownership ownership = fd_ownership::owned);
  /// As above, with the hub given (the hub's own fds, before it is this thread's hub).
  watched_fd(hub& home, int fd, fd_ownership ownership = fd_ownership::owned);
  watched_fd(watched_fd&& other) noexcept = default;
  /// Releases this fd (as reset()) and takes `other`'s.
  watched_fd& operator=(watched_fd&& other) noexcept;
  ~watched_fd() { reset(); }

  /// Stops the watch (green threads parked on the fd get std::system_error(EBADF)) and closes
  /// the fd if owned. Idempotent.
  void reset() noexcept;

  bool valid() const noexcept { return watch_ != nullptr; }
  /// The fd, or -1 when none.
  int fd() const noexcept { return watch_ ? watch_->fd : -1; }
  /// Only when valid().
  hub& home() const noexcept { return *home_; }
  io_watch& watch() const noexcept { return *watch_; }
  operator watched_fd_ref() const noexcept { return {*home_, *watch_}; }

 private:
  hub* home_ = nullptr;
  std::unique_ptr<io_watch> watch_;  // on the heap: the poller keeps its address
  fd_ownership ownership_ = fd_ownership::owned;
};

}  // namespace swarmlet::green
