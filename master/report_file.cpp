#include "report_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace swarmlet::master {
namespace {

[[noreturn]] void cannot_write(const std::string& file, int err) {
  throw std::runtime_error("cannot write report file " + file + ": " +
                           (err != 0 ? std::strerror(err) : "write failed"));
}

void make_parent(const std::string& file) {
  const auto parent = std::filesystem::path(file).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
}

/// A name next to `file` that no other writer (thread or process) uses at the same time.
std::string temporary_name(const std::string& file) {
  static std::atomic<unsigned> counter{0};
  const std::filesystem::path p(file);
  return (p.parent_path() / ("." + p.filename().string() + ".tmp-" + std::to_string(::getpid()) +
                             "-" + std::to_string(counter.fetch_add(1))))
      .string();
}

}  // namespace

void write_file_atomically(const std::string& file, std::string_view content) {
  make_parent(file);
  const std::string temporary = temporary_name(file);
  // 0666 before the umask: the same mode an ofstream would give the file.
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) cannot_write(file, errno);
  int err = 0;
  for (std::size_t done = 0; done < content.size() && err == 0;) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n >= 0)
      done += static_cast<std::size_t>(n);
    else if (errno != EINTR)
      err = errno;
  }
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && std::rename(temporary.c_str(), file.c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlink(temporary.c_str());
    cannot_write(file, err);
  }
}

appending_file::appending_file(const std::string& file) : file_(file) {
  make_parent(file);
  errno = 0;
  out_.open(file, std::ios::binary | std::ios::trunc);
  if (!out_) cannot_write(file, errno);
}

void appending_file::append(std::string_view text) {
  errno = 0;
  out_.write(text.data(), static_cast<std::streamsize>(text.size()));
  out_.flush();
  if (!out_) cannot_write(file_, errno);
}

}  // namespace swarmlet::master
