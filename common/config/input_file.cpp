#include "input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace swarmlet::config {
namespace {

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a file";
}

}  // namespace

std::optional<std::string> read_input_file(const std::string& path, std::string& why) {
  why.clear();
  // O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting for one.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    why = std::strerror(errno);
    return std::nullopt;
  }
  struct stat st {};
  std::optional<std::string> out;
  if (::fstat(fd, &st) != 0) {
    why = std::strerror(errno);
  } else if (!S_ISREG(st.st_mode)) {
    why = std::string("it is not a regular file (") + kind_of(st.st_mode) + ")";
  } else if (static_cast<std::size_t>(st.st_size) > max_input_file_bytes) {
    why = "it is over " + std::to_string(max_input_file_bytes >> 20) + " MiB";
  } else {
    std::string text(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = ::read(fd, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        why = std::strerror(errno);
        break;
      }
      if (n == 0) break;  // it shrank while read
      done += static_cast<std::size_t>(n);
    }
    if (done == text.size() || why.empty()) {
      text.resize(done);
      out = std::move(text);
    }
  }
  ::close(fd);
  return out;
}

}  // namespace swarmlet::config
