// Edge-triggered epoll: every fd is registered once, for reading and writing, for its whole
// life; no epoll_ctl per operation (see "Where the time goes" in the design).
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "io_backend.hpp"

namespace swarmlet::green {
namespace {

class epoll_backend final : public io_backend {
 public:
  epoll_backend() : epfd_(::epoll_create1(EPOLL_CLOEXEC)) {
    if (epfd_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
    events_.resize(256);
  }
  ~epoll_backend() override { ::close(epfd_); }

  void add(io_watch& w) override {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.ptr = &w;
    if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, w.fd, &ev) != 0)
      throw std::system_error(errno, std::generic_category(), "epoll_ctl(ADD)");
  }

  void remove(io_watch& w) noexcept override {
    epoll_event ev{};
    ::epoll_ctl(epfd_, EPOLL_CTL_DEL, w.fd, &ev);
  }

  void wait(std::chrono::nanoseconds timeout, std::vector<io_event>& out) override {
    int n;
    if (timeout.count() < 0) {
      n = ::epoll_wait(epfd_, events_.data(), static_cast<int>(events_.size()), -1);
    } else {
      timespec ts{static_cast<time_t>(timeout.count() / 1'000'000'000),
                  static_cast<long>(timeout.count() % 1'000'000'000)};
      n = ::epoll_pwait2(epfd_, events_.data(), static_cast<int>(events_.size()), &ts, nullptr);
    }
    if (n < 0) {
      if (errno == EINTR) return;
      throw std::system_error(errno, std::generic_category(), "epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      const std::uint32_t e = events_[i].events;
      const bool failed = (e & (EPOLLERR | EPOLLHUP)) != 0;
      out.push_back({static_cast<io_watch*>(events_[i].data.ptr),
                     failed || (e & (EPOLLIN | EPOLLRDHUP)) != 0, failed || (e & EPOLLOUT) != 0,
                     failed || (e & EPOLLRDHUP) != 0});
    }
    if (static_cast<std::size_t>(n) == events_.size()) events_.resize(events_.size() * 2);
  }

 private:
  int epfd_;
  std::vector<epoll_event> events_;
};

}  // namespace

std::unique_ptr<io_backend> make_epoll_backend() {
  return std::make_unique<epoll_backend>();
}

}  // namespace swarmlet::green
