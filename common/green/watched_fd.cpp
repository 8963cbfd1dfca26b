#include "watched_fd.hpp"

#include <unistd.h>

#include <utility>

#include "hub.hpp"

namespace swarmlet::green {

watched_fd::watched_fd(int fd, fd_ownership ownership) : watched_fd(hub::get(), fd, ownership) {}

watched_fd::watched_fd(hub& home, int fd, fd_ownership ownership)
    : home_(&home), watch_(std::make_unique<io_watch>(fd)), ownership_(ownership) {
  try {
    home.add_watch(*watch_);
  } catch (...) {
    if (ownership == fd_ownership::owned) ::close(fd);
    throw;
  }
}

watched_fd& watched_fd::operator=(watched_fd&& other) noexcept {
  if (this != &other) {
    reset();
    home_ = other.home_;
    watch_ = std::move(other.watch_);
    ownership_ = other.ownership_;
  }
  return *this;
}

void watched_fd::reset() noexcept {
  if (!watch_) return;
  home_->remove_watch(*watch_);
  if (ownership_ == fd_ownership::owned) ::close(watch_->fd);
  watch_.reset();
}

}  // namespace swarmlet::green
