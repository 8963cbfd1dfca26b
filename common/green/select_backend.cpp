// Level-triggered select(2), for portability tests; limited to fds below FD_SETSIZE.
#include <sys/select.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

#include "io_backend.hpp"

namespace swarmlet::green {
namespace {

class select_backend final : public io_backend {
 public:
  void add(io_watch& w) override {
    if (w.fd < 0 || w.fd >= FD_SETSIZE)
      throw std::invalid_argument("select hub cannot watch fd " + std::to_string(w.fd) +
                                  " (FD_SETSIZE is " + std::to_string(FD_SETSIZE) +
                                  "): use the epoll or poll hub");
    w.backend_slot = static_cast<int>(watches_.size());
    watches_.push_back(&w);
  }

  void remove(io_watch& w) noexcept override {
    if (w.backend_slot < 0) return;
    io_watch* last = watches_.back();
    watches_[w.backend_slot] = last;
    last->backend_slot = w.backend_slot;
    watches_.pop_back();
    w.backend_slot = -1;
  }

  void wait(std::chrono::nanoseconds timeout, std::vector<io_event>& out) override {
    fd_set rd, wr, ex;
    FD_ZERO(&rd);
    FD_ZERO(&wr);
    FD_ZERO(&ex);
    int top = -1;
    for (io_watch* w : watches_) {
      const bool r = !w->readers.empty() || w->always_read;
      const bool wri = !w->writers.empty();
      if (r) FD_SET(w->fd, &rd);
      if (wri) FD_SET(w->fd, &wr);
      if (r || wri) {
        FD_SET(w->fd, &ex);
        top = std::max(top, w->fd);
      }
    }
    timespec ts{};
    timespec* limit = nullptr;
    if (timeout.count() >= 0) {
      ts = {static_cast<time_t>(timeout.count() / 1'000'000'000),
            static_cast<long>(timeout.count() % 1'000'000'000)};
      limit = &ts;
    }
    int n = ::pselect(top + 1, &rd, &wr, &ex, limit, nullptr);
    if (n < 0) {
      if (errno == EINTR) return;
      throw std::system_error(errno, std::generic_category(), "select");
    }
    if (n == 0) return;
    for (io_watch* w : watches_) {
      const bool failed = FD_ISSET(w->fd, &ex);
      const bool r = FD_ISSET(w->fd, &rd) || failed;
      const bool wri = FD_ISSET(w->fd, &wr) || failed;
      if (r || wri) out.push_back({w, r, wri});
    }
  }

 private:
  std::vector<io_watch*> watches_;
};

}  // namespace

std::unique_ptr<io_backend> make_select_backend() {
  return std::make_unique<select_backend>();
}

}  // namespace swarmlet::green
