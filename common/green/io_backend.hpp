#pragma once
// The hub's poller, behind a narrow interface so that epoll, poll, select and io_uring are
// interchangeable at run time (eventlet's `use_hub`).
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "io_watch.hpp"

namespace swarmlet::green {

/// One readiness report from the poller.
struct io_event {
  io_watch* watch;
  bool readable;
  bool writable;
  bool hangup = false;  ///< the peer closed or the fd failed: end of stream is pending
};

class io_backend {
 public:
  virtual ~io_backend() = default;
  /// Starts watching the fd for its whole life. Throws std::system_error when the kernel refuses.
  virtual void add(io_watch& w) = 0;
  /// Stops watching; the fd may be closed afterwards.
  virtual void remove(io_watch& w) noexcept = 0;
  /// Waits until an fd is ready or `timeout` passes (negative: no limit); appends the reports.
  virtual void wait(std::chrono::nanoseconds timeout, std::vector<io_event>& out) = 0;
};

enum class backend_kind { epoll, poll, select, io_uring };

/// "epoll", "poll", "select" or "io_uring"; throws std::invalid_argument naming the choices
/// otherwise.
backend_kind parse_backend_kind(std::string_view name);
const char* to_string(backend_kind kind) noexcept;
/// Why `kind` cannot run on this machine (io_uring refused by the kernel, e.g. with
/// kernel.io_uring_disabled or a seccomp filter), or "" when it can.
std::string backend_unavailable_reason(backend_kind kind);
std::unique_ptr<io_backend> make_epoll_backend();
std::unique_ptr<io_backend> make_poll_backend();
std::unique_ptr<io_backend> make_select_backend();
/// Throws std::system_error saying why when the kernel refuses io_uring.
std::unique_ptr<io_backend> make_io_uring_backend();
std::unique_ptr<io_backend> make_backend(backend_kind kind);

}  // namespace swarmlet::green
