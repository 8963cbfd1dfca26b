#include "report_paths.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace swarmlet::app {
namespace fs = std::filesystem;
namespace {

/// Why no file can be made in the existing directory `dir`, or nothing when one can.
std::optional<std::string> why_no_file_in(const fs::path& dir) {
  const fs::path probe = dir / (".swarmlet-probe-" + std::to_string(::getpid()));
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int err = errno;
    if (err == EEXIST) return std::nullopt;  // another check of this process made it: it can
    // The directory exists, so ENOENT means it takes no new files (/proc, /sys), not that it
    // is missing, which strerror alone would say.
    if (err == ENOENT) return dir.string() + " takes no new files (a virtual file system)";
    return dir.string() + ": " + std::strerror(err);
  }
  ::close(fd);
  ::unlink(probe.c_str());
  return std::nullopt;
}

/// The same file, whether both exist (one inode) or not (one absolute, normalised path).
bool same_file(const fs::path& a, const fs::path& b) {
  std::error_code ec;
  if (fs::equivalent(a, b, ec)) return true;
  const fs::path ca = fs::weakly_canonical(a, ec);
  if (ec) return false;
  const fs::path cb = fs::weakly_canonical(b, ec);
  return !ec && ca == cb;
}

}  // namespace

std::optional<std::string> why_unwritable(const std::string& file) {
  std::error_code ec;
  const fs::path path(file);
  if (path.filename().empty()) return "it names a directory, not a file";
  const auto status = fs::status(path, ec);
  fs::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  if (fs::exists(status)) {
    if (fs::is_directory(status)) return "it is a directory";
    if (!fs::is_regular_file(status))
      return "it is not a regular file (a device, FIFO or socket), which the report would "
             "replace";
    if (::access(path.c_str(), W_OK) != 0) return std::strerror(errno);
    return why_no_file_in(dir);
  }
  // Absent: the writers make its directories, so the nearest ancestor that exists decides.
  // status() reports a path under a regular file as absent (ENOTDIR), hence the walk.
  while (!fs::exists(fs::status(dir, ec))) {
    const fs::path up = dir.parent_path();
    if (up.empty() || up == dir) {
      dir = up.empty() ? fs::path(".") : up;
      break;
    }
    dir = up;
  }
  if (!fs::is_directory(fs::status(dir, ec))) return dir.string() + " is not a directory";
  if (::access(dir.c_str(), W_OK | X_OK) != 0) return dir.string() + ": " + std::strerror(errno);
  return why_no_file_in(dir);
}

std::vector<std::string> report_files(const config::report_spec& report) {
  std::vector<std::string> files;
  if (!report.csv_prefix.empty())
    for (const char* suffix :
         {"_stats.csv", "_failures.csv", "_exceptions.csv", "_stats_history.csv"})
      files.push_back(report.csv_prefix + suffix);
  if (!report.json_file.empty()) files.push_back(report.json_file);
  if (!report.html_file.empty()) files.push_back(report.html_file);
  return files;
}

std::vector<std::string> input_files(const config::scenario& s, const std::string& scenario_file) {
  const fs::path dir = fs::path(scenario_file).parent_path();
  std::vector<std::string> inputs{scenario_file};
  for (const auto& u : s.users)
    if (u.data) inputs.push_back((dir / u.data->file).string());
  for (const auto& [name, text] : s.scripts) inputs.push_back((dir / name).string());
  for (const auto& [name, text] : s.files) inputs.push_back((dir / name).string());
  return inputs;
}

std::optional<std::string> check_report_files(const config::report_spec& report,
                                              const std::vector<std::string>& inputs) {
  const auto files = report_files(report);
  for (std::size_t i = 0; i < files.size(); ++i) {
    const std::string& file = files[i];
    const std::string prefix = "cannot write the report " + file + ": ";
    for (const auto& input : inputs)
      if (same_file(file, input)) return prefix + "it is " + input + ", which the test reads";
    for (std::size_t j = 0; j < i; ++j)
      if (same_file(file, files[j])) return prefix + "it is also the report " + files[j];
    if (auto why = why_unwritable(file)) return prefix + *why;
  }
  return std::nullopt;
}

}  // namespace swarmlet::app
