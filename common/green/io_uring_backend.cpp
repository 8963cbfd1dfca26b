#include "io_uring_backend.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>
#include <utility>

namespace swarmlet::green {
namespace {

constexpr unsigned submission_entries = 256;
// Room for a burst of completions; an overflow loses nothing (the kernel keeps the extra
// completions) but ends multishot requests, which are armed again.
constexpr unsigned completion_entries = 4096;
constexpr unsigned poll_mask = POLLIN | POLLOUT | POLLRDHUP;
// Once a socket receives through the ring, its arrivals come as receive completions.
constexpr unsigned poll_mask_receiving = POLLOUT;

// The receive buffers every socket of the hub shares (1 MiB, committed as the kernel fills
// them), and how many one socket may hold before its receive pauses: a reader that falls behind
// leaves its data in the kernel (and TCP's window closes) instead of emptying the pool.
constexpr unsigned receive_buffers = 256;  // a power of two (buffer ring)
constexpr std::size_t receive_buffer_size = 4096;
constexpr std::size_t buffers_held_per_socket = 4;
constexpr std::uint16_t buffer_group = 0;
// Bytes a socket may have waiting to be sent before send() parks.
constexpr std::size_t max_queued_send = 256 * 1024;

// tag(): the slot in the low 32 bits, the operation in the next 8, the generation above.
constexpr int op_shift = 32;
constexpr int generation_shift = 40;
constexpr std::uint32_t generation_mask = (1u << 24) - 1;

std::string disabled_hint() {
  std::ifstream in("/proc/sys/kernel/io_uring_disabled");
  int disabled = 0;
  if (in >> disabled && disabled != 0)
    return " (kernel.io_uring_disabled is " + std::to_string(disabled) + ")";
  return "";
}

[[noreturn]] void refuse(int err, const std::string& what) {
  throw std::system_error(
      err, std::generic_category(),
      "io_uring is unavailable here: " + what + disabled_hint() + "; use SWARMLET_HUB=epoll");
}

}  // namespace

io_uring_backend::io_uring_backend() {
  io_uring_params params{};
  // One thread submits and reaps (the hub's), and completions are worked out only when it
  // asks for them: no inter-processor interrupts while the hub runs green threads.
  params.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER |
                 IORING_SETUP_DEFER_TASKRUN;
  params.cq_entries = completion_entries;
  int rc = io_uring_queue_init_params(submission_entries, &ring_, &params);
  if (rc == -EINVAL) {  // a kernel older than 6.1: the same, with task work run as it comes
    params = {};
    params.flags = IORING_SETUP_CQSIZE;
    params.cq_entries = completion_entries;
    rc = io_uring_queue_init_params(submission_entries, &ring_, &params);
  }
  if (rc < 0) refuse(-rc, "io_uring_setup");
  // Waits with a timeout in one call (5.11), and no completion is ever dropped (5.5).
  if ((params.features & IORING_FEAT_EXT_ARG) == 0 || (params.features & IORING_FEAT_NODROP) == 0) {
    io_uring_queue_exit(&ring_);
    refuse(ENOSYS, "the kernel is older than 5.11");
  }
  // Without buffer rings (before 5.19) sockets receive with recv(2) on readiness.
  void* ring_memory = ::mmap(nullptr, receive_buffers * sizeof(io_uring_buf),
                             PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  void* buffer_memory = ::mmap(nullptr, receive_buffers * receive_buffer_size,
                               PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (ring_memory == MAP_FAILED || buffer_memory == MAP_FAILED) {
    if (ring_memory != MAP_FAILED) ::munmap(ring_memory, receive_buffers * sizeof(io_uring_buf));
    if (buffer_memory != MAP_FAILED) ::munmap(buffer_memory, receive_buffers * receive_buffer_size);
    return;
  }
  auto* ring = static_cast<io_uring_buf_ring*>(ring_memory);
  io_uring_buf_ring_init(ring);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<std::uintptr_t>(ring_memory);
  reg.ring_entries = receive_buffers;
  reg.bgid = buffer_group;
  if (io_uring_register_buf_ring(&ring_, &reg, 0) < 0) {
    ::munmap(ring_memory, receive_buffers * sizeof(io_uring_buf));
    ::munmap(buffer_memory, receive_buffers * receive_buffer_size);
    return;
  }
  buffer_ring_ = ring;
  buffers_ = static_cast<char*>(buffer_memory);
  const int mask = io_uring_buf_ring_mask(receive_buffers);
  for (unsigned i = 0; i < receive_buffers; ++i)
    io_uring_buf_ring_add(buffer_ring_, buffers_ + i * receive_buffer_size, receive_buffer_size,
                          static_cast<std::uint16_t>(i), mask, static_cast<int>(i));
  io_uring_buf_ring_advance(buffer_ring_, receive_buffers);
}

io_uring_backend::~io_uring_backend() {
  // Exiting the ring cancels what is still in flight (sends of closed sockets included).
  io_uring_queue_exit(&ring_);
  for (const slot& s : slots_)
    if (s.draining && s.fd >= 0) ::close(s.fd);
  if (buffer_ring_ != nullptr) {
    ::munmap(buffer_ring_, receive_buffers * sizeof(io_uring_buf));
    ::munmap(buffers_, receive_buffers * receive_buffer_size);
  }
}

std::uint64_t io_uring_backend::tag(std::uint32_t index, op kind) const noexcept {
  return (std::uint64_t{slots_[index].generation} << generation_shift) |
         (std::uint64_t{static_cast<std::uint8_t>(kind)} << op_shift) | index;
}

io_uring_sqe* io_uring_backend::next_sqe() noexcept {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  while (sqe == nullptr) {
    io_uring_submit(&ring_);
    sqe = io_uring_get_sqe(&ring_);
  }
  return sqe;
}

void io_uring_backend::arm_poll(std::uint32_t index) noexcept {
  const slot& s = slots_[index];
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_poll_multishot(sqe, s.fd,
                               s.receiving == receive_mode::ring ? poll_mask_receiving : poll_mask);
  io_uring_sqe_set_data64(sqe, tag(index, op::poll));
}

void io_uring_backend::set_poll_mask(std::uint32_t index, unsigned mask) noexcept {
  io_uring_sqe* sqe = next_sqe();
  // Not changing the tag: the new one must be 0, or the kernel refuses the update.
  io_uring_prep_poll_update(sqe, tag(index, op::poll), 0, mask,
                            IORING_POLL_UPDATE_EVENTS | IORING_POLL_ADD_MULTI);
  io_uring_sqe_set_data64(sqe, 0);
}

void io_uring_backend::arm_receive(std::uint32_t index) noexcept {
  slot& s = slots_[index];
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_recv_multishot(sqe, s.fd, nullptr, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = buffer_group;
  io_uring_sqe_set_data64(sqe, tag(index, op::receive));
  s.receive_armed = true;
}

void io_uring_backend::submit_send(std::uint32_t index) noexcept {
  slot& s = slots_[index];
  io_uring_sqe* sqe = next_sqe();
  // MSG_WAITALL: the kernel retries a short send itself, so a completion means all or an error.
  io_uring_prep_send(sqe, s.fd, s.in_flight.data(), s.in_flight.size(), MSG_NOSIGNAL | MSG_WAITALL);
  io_uring_sqe_set_data64(sqe, tag(index, op::send));
  s.send_in_flight = true;
}

void io_uring_backend::recycle(std::uint16_t buffer) noexcept {
  io_uring_buf_ring_add(buffer_ring_, buffers_ + buffer * receive_buffer_size, receive_buffer_size,
                        buffer, io_uring_buf_ring_mask(receive_buffers), 0);
  io_uring_buf_ring_advance(buffer_ring_, 1);
}

void io_uring_backend::release(std::uint32_t index) noexcept {
  slot& s = slots_[index];
  const std::uint32_t next_generation = (s.generation + 1) & generation_mask;
  s = slot{};
  s.generation = next_generation;
  free_slots_.push_back(index);
}

void io_uring_backend::add(io_watch& w) {
  std::uint32_t index;
  if (!free_slots_.empty()) {
    index = free_slots_.back();
    free_slots_.pop_back();
  } else {
    index = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  slot& s = slots_[index];
  s.watch = &w;
  s.fd = w.fd;
  w.backend_slot = static_cast<int>(index);
  w.uring = this;
  arm_poll(index);
}

void io_uring_backend::remove(io_watch& w) noexcept {
  if (w.backend_slot < 0) return;
  const auto index = static_cast<std::uint32_t>(w.backend_slot);
  slot& s = slots_[index];
  // A cancel, not IORING_OP_POLL_REMOVE: that one fails (EALREADY) while the poll's last
  // report waits to be worked out, and the poll would live on.
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_cancel64(sqe, tag(index, op::poll), 0);
  io_uring_sqe_set_data64(sqe, 0);
  if (s.receive_armed) {
    sqe = next_sqe();
    io_uring_prep_cancel64(sqe, tag(index, op::receive), 0);
    io_uring_sqe_set_data64(sqe, 0);
  }
  for (const chunk& c : s.received) recycle(c.buffer);
  s.received.clear();
  w.backend_slot = -1;
  w.uring = nullptr;
  s.watch = nullptr;
  if (s.send_in_flight) {
    // The send in flight holds the file; what is queued behind it needs a descriptor of its own.
    s.draining = true;
    s.fd = s.queued.empty() ? -1 : ::fcntl(w.fd, F_DUPFD_CLOEXEC, 0);
    if (s.fd < 0) s.queued.clear();
  } else {
    release(index);
  }
  // Runs the cancellations now (task work included), so the caller's close() closes the file.
  io_uring_submit_and_get_events(&ring_);
}

io_uring_backend::receive_status io_uring_backend::receive(io_watch& w, std::span<char> buffer,
                                                           std::size_t& bytes) {
  const auto index = static_cast<std::uint32_t>(w.backend_slot);
  slot& s = slots_[index];
  if (s.receiving == receive_mode::off) {
    if (buffer_ring_ == nullptr) {
      s.receiving = receive_mode::recv_syscall;
      return receive_status::use_recv;
    }
    s.receiving = receive_mode::ring;
    set_poll_mask(index, poll_mask_receiving);
  }
  if (!s.received.empty()) {
    bytes = 0;
    while (!s.received.empty() && bytes < buffer.size()) {
      chunk& c = s.received.front();
      const std::size_t n = std::min<std::size_t>(buffer.size() - bytes, c.end - c.begin);
      std::memcpy(buffer.data() + bytes, buffers_ + c.buffer * receive_buffer_size + c.begin, n);
      bytes += n;
      c.begin += static_cast<std::uint32_t>(n);
      if (c.begin == c.end) {
        recycle(c.buffer);
        s.received.pop_front();
      }
    }
    return receive_status::received;
  }
  if (s.receive_error != 0)
    throw std::system_error(std::exchange(s.receive_error, 0), std::generic_category(), "recv");
  if (s.end_of_stream) {
    bytes = 0;
    return receive_status::received;
  }
  if (s.receiving == receive_mode::recv_syscall) return receive_status::use_recv;
  if (!s.receive_armed) arm_receive(index);
  return receive_status::would_block;
}

std::size_t io_uring_backend::queue_send(io_watch& w, std::string_view data) {
  const auto index = static_cast<std::uint32_t>(w.backend_slot);
  slot& s = slots_[index];
  if (s.send_error != 0)
    throw std::system_error(std::exchange(s.send_error, 0), std::generic_category(), "send");
  if (!s.send_in_flight) {
    const std::size_t n = std::min(data.size(), max_queued_send);
    s.in_flight.assign(data.data(), n);
    submit_send(index);
    return n;
  }
  const std::size_t room = max_queued_send - std::min(max_queued_send, s.queued.size());
  const std::size_t n = std::min(data.size(), room);
  s.queued.append(data.data(), n);
  return n;
}

bool io_uring_backend::sending(const io_watch& w) const noexcept {
  const slot& s = slots_[static_cast<std::uint32_t>(w.backend_slot)];
  return s.send_in_flight || !s.queued.empty();
}

std::optional<bool> io_uring_backend::holds_input(const io_watch& w) const noexcept {
  const slot& s = slots_[static_cast<std::uint32_t>(w.backend_slot)];
  if (s.receiving != receive_mode::ring) return std::nullopt;
  return !s.received.empty() || s.end_of_stream || s.receive_error != 0;
}

void io_uring_backend::wait(std::chrono::nanoseconds timeout, std::vector<io_event>& out) {
  int rc;
  if (timeout.count() == 0) {
    rc = io_uring_submit_and_get_events(&ring_);
  } else if (timeout.count() < 0) {
    rc = io_uring_submit_and_wait(&ring_, 1);
  } else {
    __kernel_timespec ts{timeout.count() / 1'000'000'000, timeout.count() % 1'000'000'000};
    io_uring_cqe* first = nullptr;
    rc = io_uring_submit_and_wait_timeout(&ring_, &first, 1, &ts, nullptr);
  }
  // ETIME: the timeout passed; EINTR: a signal; EBUSY: completions overflowed, reaped below.
  if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EBUSY && rc != -EAGAIN)
    throw std::system_error(-rc, std::generic_category(), "io_uring_enter");
  unsigned head;
  unsigned seen = 0;
  io_uring_cqe* cqe;
  io_uring_for_each_cqe(&ring_, head, cqe) {
    complete(*cqe, out);
    ++seen;
  }
  io_uring_cq_advance(&ring_, seen);
}

void io_uring_backend::complete(const io_uring_cqe& cqe, std::vector<io_event>& out) {
  const std::uint64_t data = cqe.user_data;
  const auto kind = static_cast<op>((data >> op_shift) & 0xff);
  const auto index = static_cast<std::uint32_t>(data);
  if (kind == op::none || index >= slots_.size()) return;
  slot& s = slots_[index];
  // A late completion for a watch already gone (its slot may serve another fd by now): the
  // buffer it filled goes back to the pool.
  if ((data >> generation_shift) != s.generation ||
      (s.watch == nullptr && !(kind == op::send && s.draining))) {
    if ((cqe.flags & IORING_CQE_F_BUFFER) != 0)
      recycle(static_cast<std::uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT));
    return;
  }
  if (kind == op::receive) return complete_receive(s, index, cqe, out);
  if (kind == op::send) return complete_send(s, index, cqe, out);
  if (cqe.res < 0) {
    // The fd cannot be polled (or failed): whoever waits on it tries, and meets the error.
    out.push_back({s.watch, true, true, true});
    return;
  }
  const auto e = static_cast<unsigned>(cqe.res);
  const bool failed = (e & (POLLERR | POLLHUP)) != 0;
  out.push_back({s.watch, failed || (e & (POLLIN | POLLRDHUP)) != 0, failed || (e & POLLOUT) != 0,
                 failed || (e & POLLRDHUP) != 0});
  // Without F_MORE the poll has ended (a completion queue overflow): arm it again.
  if ((cqe.flags & IORING_CQE_F_MORE) == 0) arm_poll(index);
}

void io_uring_backend::complete_receive(slot& s, std::uint32_t index, const io_uring_cqe& cqe,
                                        std::vector<io_event>& out) {
  const bool more = (cqe.flags & IORING_CQE_F_MORE) != 0;
  if (!more) s.receive_armed = false;
  if (cqe.res > 0) {
    const auto buffer = static_cast<std::uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
    s.received.push_back({buffer, 0, static_cast<std::uint32_t>(cqe.res)});
    if (more && s.received.size() == buffers_held_per_socket) {
      // Paused until the reader empties its queue; armed stays set until the last completion.
      io_uring_sqe* sqe = next_sqe();
      io_uring_prep_cancel64(sqe, tag(index, op::receive), 0);
      io_uring_sqe_set_data64(sqe, 0);
    }
  } else if (cqe.res == 0) {
    s.end_of_stream = true;
  } else if (cqe.res == -ENOBUFS) {
    // The pool ran dry while this socket waited: it goes back to recv(2) for good, so that no
    // reader can starve another.
    s.receiving = receive_mode::recv_syscall;
    set_poll_mask(index, poll_mask);
  } else if (cqe.res != -ECANCELED) {
    s.receive_error = -cqe.res;
  }
  out.push_back({s.watch, true, false, false});
}

void io_uring_backend::complete_send(slot& s, std::uint32_t index, const io_uring_cqe& cqe,
                                     std::vector<io_event>& out) {
  s.send_in_flight = false;
  if (cqe.res < 0) {
    s.send_error = -cqe.res;
  } else if (static_cast<std::size_t>(cqe.res) < s.in_flight.size()) {
    s.send_error = EPIPE;
  }
  s.in_flight.clear();
  if (s.send_error != 0) {
    s.queued.clear();
  } else if (!s.queued.empty()) {
    std::swap(s.in_flight, s.queued);
    submit_send(index);
  }
  if (s.draining) {
    if (!s.send_in_flight) {
      if (s.fd >= 0) ::close(s.fd);
      release(index);
    }
    return;
  }
  out.push_back({s.watch, false, true, false});
}

std::unique_ptr<io_backend> make_io_uring_backend() {
  return std::make_unique<io_uring_backend>();
}

}  // namespace swarmlet::green
