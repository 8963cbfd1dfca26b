// Level-triggered poll(2): polls only the directions that green threads wait on.
#include <poll.h>

#include <cerrno>
#include <system_error>

#include "io_backend.hpp"

namespace swarmlet::green {
namespace {

class poll_backend final : public io_backend {
 public:
  void add(io_watch& w) override {
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
    fds_.clear();
    polled_.clear();
    for (io_watch* w : watches_) {
      short want = 0;
      if (!w->readers.empty() || w->always_read) want |= POLLIN;
      if (!w->writers.empty()) want |= POLLOUT;
      if (want == 0) continue;
      fds_.push_back({w->fd, want, 0});
      polled_.push_back(w);
    }
    timespec ts{};
    timespec* limit = nullptr;
    if (timeout.count() >= 0) {
      ts = {static_cast<time_t>(timeout.count() / 1'000'000'000),
            static_cast<long>(timeout.count() % 1'000'000'000)};
      limit = &ts;
    }
    int n = ::ppoll(fds_.data(), fds_.size(), limit, nullptr);
    if (n < 0) {
      if (errno == EINTR) return;
      throw std::system_error(errno, std::generic_category(), "poll");
    }
    for (std::size_t i = 0; i < fds_.size() && n > 0; ++i) {
      const short r = fds_[i].revents;
      if (r == 0) continue;
      --n;
      const bool failed = (r & (POLLERR | POLLHUP | POLLNVAL)) != 0;
      out.push_back({polled_[i], failed || (r & POLLIN) != 0, failed || (r & POLLOUT) != 0});
    }
  }

 private:
  std::vector<io_watch*> watches_;
  std::vector<pollfd> fds_;
  std::vector<io_watch*> polled_;
};

}  // namespace

std::unique_ptr<io_backend> make_poll_backend() {
  return std::make_unique<poll_backend>();
}

}  // namespace swarmlet::green
