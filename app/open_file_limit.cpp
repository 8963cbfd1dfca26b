#include "open_file_limit.hpp"

#include <sys/resource.h>

#include <fstream>

namespace swarmlet::app {
namespace {

/// The most descriptors a process may have (/proc/sys/fs/nr_open); 1,048,576 if unreadable.
rlim_t kernel_nr_open() {
  std::ifstream in("/proc/sys/fs/nr_open");
  rlim_t n = 0;
  return in >> n && n > 0 ? n : 1048576;
}

}  // namespace

open_file_limit raise_open_file_limit() noexcept {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return {};
  open_file_limit out{lim.rlim_cur, lim.rlim_cur};
  // An unlimited hard limit cannot be the soft one: RLIMIT_NOFILE is bounded by nr_open.
  const rlim_t want = lim.rlim_max == RLIM_INFINITY ? kernel_nr_open() : lim.rlim_max;
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < want) {
    lim.rlim_cur = want;
    if (::setrlimit(RLIMIT_NOFILE, &lim) == 0) out.now = want;
  }
  return out;
}

}  // namespace swarmlet::app
