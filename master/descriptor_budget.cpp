#include "descriptor_budget.hpp"

#include <dirent.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstring>
#include <optional>

namespace swarmlet::master {
namespace {

std::size_t descriptor_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY)
    return static_cast<std::size_t>(-1);
  return static_cast<std::size_t>(lim.rlim_cur);
}

/// The size of this process's descriptor table (FDSize in /proc/self/status): every open
/// descriptor is below it. None when it cannot be read.
std::optional<std::size_t> descriptor_table_size() {
  std::FILE* status = std::fopen("/proc/self/status", "re");
  if (status == nullptr) return std::nullopt;
  std::optional<std::size_t> size;
  char line[256];
  while (std::fgets(line, sizeof line, status) != nullptr) {
    unsigned long n = 0;
    if (std::strncmp(line, "FDSize:", 7) == 0 && std::sscanf(line + 7, "%lu", &n) == 1) {
      size = n;
      break;
    }
  }
  std::fclose(status);
  return size;
}

}  // namespace

descriptor_use descriptors_now() {
  descriptor_use d;
  d.limit = descriptor_limit();
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

bool descriptors_left(std::size_t wanted) {
  const std::size_t limit = descriptor_limit();
  // Reading the status file takes a descriptor itself: it is among those counted below the
  // table's size, and closed again.
  if (const auto table = descriptor_table_size();
      table && *table <= limit && limit - *table >= wanted)
    return true;
  return descriptors_now().left() >= wanted;
}

}  // namespace swarmlet::master
