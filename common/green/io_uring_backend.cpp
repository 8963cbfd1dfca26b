#include "io_uring_backend.hpp"

#include <poll.h>

#include <cerrno>
#include <fstream>
#include <string>
#include <system_error>

namespace swarmlet::green {
namespace {

constexpr unsigned submission_entries = 256;
// Room for a burst of readiness reports; an overflow loses nothing (the kernel keeps the
// extra completions) but ends multishot polls, which complete() re-arms.
constexpr unsigned completion_entries = 4096;
constexpr unsigned poll_mask = POLLIN | POLLOUT | POLLRDHUP;

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
}

io_uring_backend::~io_uring_backend() {
  io_uring_queue_exit(&ring_);
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
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_poll_multishot(sqe, slots_[index].watch->fd, poll_mask);
  io_uring_sqe_set_data64(sqe, tag(index, op::poll));
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
  slots_[index].watch = &w;
  w.backend_slot = static_cast<int>(index);
  w.uring = this;
  arm_poll(index);
}

void io_uring_backend::remove(io_watch& w) noexcept {
  if (w.backend_slot < 0) return;
  const auto index = static_cast<std::uint32_t>(w.backend_slot);
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_poll_remove(sqe, tag(index, op::poll));
  io_uring_sqe_set_data64(sqe, 0);
  slot& s = slots_[index];
  s.watch = nullptr;
  s.generation = (s.generation + 1) & generation_mask;
  free_slots_.push_back(index);
  w.backend_slot = -1;
  w.uring = nullptr;
  // Runs the cancellation now (task work included), so the caller's close() closes the file.
  io_uring_submit_and_get_events(&ring_);
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
  if (kind != op::poll || index >= slots_.size()) return;
  slot& s = slots_[index];
  // A late report for a watch already removed (its slot may serve another fd by now).
  if (s.watch == nullptr || (data >> generation_shift) != s.generation) return;
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

std::unique_ptr<io_backend> make_io_uring_backend() {
  return std::make_unique<io_uring_backend>();
}

}  // namespace swarmlet::green
