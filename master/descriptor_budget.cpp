#include "descriptor_budget.hpp"

#include <dirent.h>
#include <sys/resource.h>

namespace swarmlet::master {

descriptor_use descriptors_now() {
  descriptor_use d;
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY)
    d.limit = static_cast<std::size_t>(-1);
  else
    d.limit = static_cast<std::size_t>(lim.rlim_cur);
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) {
    d.open = d.limit;
    return d;
  }
  while (const dirent* e = ::readdir(dir))
    if (e->d_name[0] != '.') ++d.open;
  ::closedir(dir);
  --d.open;  // the directory's own descriptor, closed now
  return d;
}

}  // namespace swarmlet::master
