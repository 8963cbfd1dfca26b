#include "report_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
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

/// Writes all of `content` to `fd`: 0, or the errno of the write that failed.
int write_all(int fd, std::string_view content) {
  for (std::size_t done = 0; done < content.size();) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n >= 0)
      done += static_cast<std::size_t>(n);
    else if (errno != EINTR)
      return errno;
  }
  return 0;
}

/// What `fd` holds, from its start: 0, or the errno of the read that failed.
int read_all(int fd, std::string& content) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return errno;
  content.resize(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n =
        ::pread(fd, content.data() + done, content.size() - done, static_cast<off_t>(done));
    if (n > 0)
      done += static_cast<std::size_t>(n);
    else if (n == 0)
      break;
    else if (errno != EINTR)
      return errno;
  }
  content.resize(done);
  return 0;
}

}  // namespace

void write_file_atomically(const std::string& file, std::string_view content) {
  make_parent(file);
  const std::string temporary = temporary_name(file);
  // 0666 before the umask: the same mode an ofstream would give the file.
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) cannot_write(file, errno);
  int err = write_all(fd, content);
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && std::rename(temporary.c_str(), file.c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlink(temporary.c_str());
    cannot_write(file, err);
  }
}

appending_file::appending_file(const std::string& file) : file_(file) {
  make_parent(file);
  // 0666 before the umask, as write_file_atomically's files.
  fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0666);
  if (fd_ < 0) cannot_write(file, errno);
}

appending_file::~appending_file() {
  if (fd_ >= 0) ::close(fd_);
}

bool appending_file::still_at_its_path() const {
  struct stat mine {
  }, there{};
  if (::fstat(fd_, &mine) != 0 || mine.st_nlink == 0) return false;
  return ::stat(file_.c_str(), &there) == 0 && there.st_dev == mine.st_dev &&
         there.st_ino == mine.st_ino;
}

void appending_file::write_again_at_its_path() {
  std::string content;
  if (const int err = read_all(fd_, content); err != 0) cannot_write(file_, err);
  // As write_file_atomically, but the new file stays open to be appended to.
  make_parent(file_);
  const std::string temporary = temporary_name(file_);
  const int fd = ::open(temporary.c_str(), O_RDWR | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0666);
  if (fd < 0) cannot_write(file_, errno);
  int err = write_all(fd, content);
  if (err == 0 && std::rename(temporary.c_str(), file_.c_str()) != 0) err = errno;
  if (err != 0) {
    ::close(fd);
    ::unlink(temporary.c_str());
    cannot_write(file_, err);
  }
  ::close(fd_);
  fd_ = fd;
}

void appending_file::append(std::string_view text) {
  if (!still_at_its_path()) write_again_at_its_path();
  if (const int err = write_all(fd_, text); err != 0) cannot_write(file_, err);
}

}  // namespace swarmlet::master
