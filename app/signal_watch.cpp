#include "signal_watch.hpp"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "common/green/retry.hpp"

namespace swarmlet::app {
namespace {
sigset_t set_of(std::initializer_list<int> signals) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : signals) sigaddset(&set, s);
  return set;
}
}  // namespace

void block_signals(std::initializer_list<int> signals) {
  const sigset_t set = set_of(signals);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

signal_watch::signal_watch(std::initializer_list<int> signals) {
  const sigset_t set = set_of(signals);
  const int fd = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "signalfd");
  fd_ = green::watched_fd(fd);
}

int signal_watch::wait() {
  return *green::retry_io(fd_, green::deadline{}, "signal", [this]() -> green::io_attempt<int> {
    signalfd_siginfo info;
    const ssize_t n = ::read(fd_.fd(), &info, sizeof info);
    if (n == sizeof info) return static_cast<int>(info.ssi_signo);
    return green::would_block{green::io_direction::read};
  });
}

}  // namespace swarmlet::app
