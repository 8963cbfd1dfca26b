#pragma once
// io_uring as the hub's poller (SWARMLET_HUB=io_uring). Each fd gets one multishot
// IORING_OP_POLL_ADD for its whole life, which reports readiness edges as epoll's EPOLLET does;
// new registrations wait in the submission queue and go in with the next wait, one
// io_uring_enter that submits and waits. Completions are told apart by a tag (slot, generation,
// operation), so one that arrives after its fd stopped being watched is recognised and dropped.
#include <liburing.h>

#include <chrono>
#include <cstdint>
#include <vector>

#include "io_backend.hpp"

namespace swarmlet::green {

class io_uring_backend final : public io_backend {
 public:
  /// Sets up a ring. Throws std::system_error saying why when the kernel refuses io_uring.
  io_uring_backend();
  ~io_uring_backend() override;
  io_uring_backend(const io_uring_backend&) = delete;
  io_uring_backend& operator=(const io_uring_backend&) = delete;

  /// Queues the fd's poll; it is submitted with the next wait (or the next remove).
  void add(io_watch& w) override;
  /// Cancels the fd's poll at once: until its poll goes the kernel holds the file open, so a
  /// closed listener would still accept and a closed connection would not send its FIN.
  void remove(io_watch& w) noexcept override;
  void wait(std::chrono::nanoseconds timeout, std::vector<io_event>& out) override;

 private:
  enum class op : std::uint8_t { none, poll };
  struct slot {
    io_watch* watch = nullptr;  // none while free
    std::uint32_t generation = 0;
  };

  std::uint64_t tag(std::uint32_t index, op kind) const noexcept;
  /// A free submission entry, submitting what is queued first if the queue is full.
  io_uring_sqe* next_sqe() noexcept;
  void arm_poll(std::uint32_t index) noexcept;
  void complete(const io_uring_cqe& cqe, std::vector<io_event>& out);

  io_uring ring_{};
  std::vector<slot> slots_;
  std::vector<std::uint32_t> free_slots_;
};

}  // namespace swarmlet::green
