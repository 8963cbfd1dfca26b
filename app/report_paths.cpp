#include "report_paths.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace swarmlet::app {
namespace fs = std::filesystem;

std::optional<std::string> why_unwritable(const std::string& file) {
  std::error_code ec;
  const fs::path path(file);
  if (path.filename().empty()) return "it names a directory, not a file";
  const auto status = fs::status(path, ec);
  if (fs::exists(status)) {
    if (fs::is_directory(status)) return "it is a directory";
    if (::access(path.c_str(), W_OK) != 0) return std::strerror(errno);
    return std::nullopt;
  }
  // Absent: the writers make its directories, so the nearest ancestor that exists decides.
  // status() reports a path under a regular file as absent (ENOTDIR), hence the walk.
  fs::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
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
  return std::nullopt;
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

std::optional<std::string> check_report_files(const config::report_spec& report) {
  for (const auto& file : report_files(report))
    if (auto why = why_unwritable(file)) return "cannot write the report " + file + ": " + *why;
  return std::nullopt;
}

}  // namespace swarmlet::app
