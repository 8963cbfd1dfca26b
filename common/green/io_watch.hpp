#pragma once
// The hub's record of one file descriptor: readiness flags and the green threads parked on it.
#include <cstdint>

#include "wait_list.hpp"

namespace swarmlet::green {

class io_uring_backend;

enum class io_direction { read, write };

/// Registered once per fd for the fd's whole life (a watched_fd owns it). The flags
/// follow the kernel: set by the poller when the fd becomes ready, cleared by the code that
/// saw EAGAIN or a short read/write, so a green socket only tries a syscall when it can succeed.
struct io_watch {
  explicit io_watch(int fd_ = -1) : fd(fd_) {}
  io_watch(const io_watch&) = delete;
  io_watch& operator=(const io_watch&) = delete;

  int fd;
  bool readable = false;
  bool writable = false;
  bool hangup = false;       // the peer closed: a short read no longer means "drained"
  bool always_read = false;  // level-triggered backends poll it for reading with no waiter
  wait_list readers;
  wait_list writers;
  // Reads that found their data without parking, since the hub's switch count last changed
  // (hub::before_read).
  std::uint64_t ready_reads_at_switch = 0;
  std::uint32_t ready_reads = 0;
  /// Times the poller said it became readable (wrapping): for a reader whose reads bypass
  /// `readable` (OpenSSL reads its fd itself), whether anything arrived since a moment.
  std::uint32_t read_events = 0;
  int backend_slot = -1;  // private to the backend: poll's index, io_uring's slot
  // Set by the io_uring backend: green sockets send and receive through its ring.
  io_uring_backend* uring = nullptr;

  bool& ready_flag(io_direction d) noexcept {
    return d == io_direction::read ? readable : writable;
  }
  wait_list& waiters(io_direction d) noexcept {
    return d == io_direction::read ? readers : writers;
  }
};

}  // namespace swarmlet::green
