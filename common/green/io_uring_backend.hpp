#pragma once
// io_uring as the hub's poller (SWARMLET_HUB=io_uring). Each fd gets one multishot
// IORING_OP_POLL_ADD for its whole life, which reports readiness edges as epoll's EPOLLET does;
// new registrations wait in the submission queue and go in with the next wait, one
// io_uring_enter that submits and waits. Completions are told apart by a tag (slot, generation,
// operation), so one that arrives after its fd stopped being watched is recognised and dropped.
//
// Green sockets also send and receive through the ring (socket.cpp), so that a request costs no
// syscall of its own: a send is copied and queued, and goes in with the next wait; a socket's
// first receive starts a multishot receive into the ring's shared buffers, and later receives
// copy out of what the kernel put there. The data of one socket stay in order: one send in flight
// at a time, the rest queued behind it.
#include <liburing.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
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
  /// Cancels the fd's poll and receive at once: until they go the kernel holds the file open, so
  /// a closed listener would still accept and a closed connection would not send its FIN. Sends
  /// still queued go out first (on a duplicate of the fd), as close(2) lets the kernel send
  /// what it holds.
  void remove(io_watch& w) noexcept override;
  void wait(std::chrono::nanoseconds timeout, std::vector<io_event>& out) override;

  /// What receive() did.
  enum class receive_status { received, would_block, use_recv };
  /// Moves what the kernel received on `w` (a connected stream socket) into `buffer`, setting
  /// `bytes` (0: end of stream) when `received`. `would_block`: nothing has arrived yet; park on
  /// `w`'s readers, which the next arrival wakes. `use_recv`: receive with recv(2) on
  /// readiness instead (this kernel has no buffer rings, or they ran out while this socket
  /// waited). Throws std::system_error for a receive error, or an earlier send's.
  receive_status receive(io_watch& w, std::span<char> buffer, std::size_t& bytes);
  /// Takes up to all of `data` to be sent with the next wait; returns how many bytes it took, 0
  /// when too much waits already (park on `w`'s writers, which the next completed send wakes).
  /// Throws std::system_error for an earlier send's error (EPIPE, ECONNRESET).
  std::size_t queue_send(io_watch& w, std::string_view data);
  /// Whether sends queued on `w` are still waiting or in flight (shutdown waits them out).
  bool sending(const io_watch& w) const noexcept;
  /// Whether the ring received on `w` what no receive() took yet (bytes, the end of the stream
  /// or an error); nullopt when `w` receives by recv(2), whose socket must be asked.
  std::optional<bool> holds_input(const io_watch& w) const noexcept;

 private:
  enum class op : std::uint8_t { none, poll, receive, send };
  enum class receive_mode : std::uint8_t { off, ring, recv_syscall };
  struct chunk {
    std::uint16_t buffer;
    std::uint32_t begin;
    std::uint32_t end;
  };
  struct slot {
    io_watch* watch = nullptr;  // none while free or draining
    std::uint32_t generation = 0;
    int fd = -1;  // the watch's, or the duplicate its last sends go out on
    bool draining = false;
    receive_mode receiving = receive_mode::off;
    bool receive_armed = false;
    bool end_of_stream = false;
    int receive_error = 0;
    std::deque<chunk> received;
    bool send_in_flight = false;
    int send_error = 0;
    std::string in_flight;
    std::string queued;
  };

  std::uint64_t tag(std::uint32_t index, op kind) const noexcept;
  /// A free submission entry, submitting what is queued first if the queue is full.
  io_uring_sqe* next_sqe() noexcept;
  void arm_poll(std::uint32_t index) noexcept;
  void set_poll_mask(std::uint32_t index, unsigned mask) noexcept;
  void arm_receive(std::uint32_t index) noexcept;
  void submit_send(std::uint32_t index) noexcept;
  void recycle(std::uint16_t buffer) noexcept;
  void release(std::uint32_t index) noexcept;
  void complete(const io_uring_cqe& cqe, std::vector<io_event>& out);
  void complete_receive(slot& s, std::uint32_t index, const io_uring_cqe& cqe,
                        std::vector<io_event>& out);
  void complete_send(slot& s, std::uint32_t index, const io_uring_cqe& cqe,
                     std::vector<io_event>& out);

  io_uring ring_{};
  // A deque: slots never move, as the kernel reads a send's bytes from its slot.
  std::deque<slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  // The receive buffers the kernel picks from (a buffer ring; none on kernels before 5.19).
  io_uring_buf_ring* buffer_ring_ = nullptr;
  char* buffers_ = nullptr;
};

}  // namespace swarmlet::green
