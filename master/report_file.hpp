#pragma once
// How report files are written while a test runs: replaced whole (a reader, or a master killed
// mid-write, sees the old contents or the new, never half), or appended to and flushed.
#include <string>
#include <string_view>

namespace swarmlet::master {

/// Replaces `file` with `content` atomically: writes a temporary file in the same directory,
/// then renames it over `file` (directories are made). Throws std::runtime_error naming the
/// file and why; the temporary file is removed then. No fsync: the point is a process killed
/// at any moment (kill -9), not a machine that loses power.
void write_file_atomically(const std::string& file, std::string_view content);

/// A file written from its start and then appended to, each append written to the kernel at
/// once (a killed process loses nothing it appended). Its directories are made.
class appending_file {
 public:
  /// Creates or truncates `file`. Throws std::runtime_error naming it.
  explicit appending_file(const std::string& file);
  ~appending_file();
  appending_file(const appending_file&) = delete;
  appending_file& operator=(const appending_file&) = delete;

  /// Appends `text`. When the path no longer leads to this file (it, or its directory, was
  /// removed, moved or replaced while the test ran: `rm -rf results/`), the file is first
  /// written again whole at its path, as the reports rewritten whole are: appended to the
  /// removed file's handle, its rows went nowhere anyone could read. Throws
  /// std::runtime_error naming the file.
  void append(std::string_view text);
  const std::string& name() const noexcept { return file_; }

 private:
  bool still_at_its_path() const;
  void write_again_at_its_path();

  std::string file_;
  int fd_ = -1;  ///< open for reading too: what was appended is read back to write it again
};

}  // namespace swarmlet::master
