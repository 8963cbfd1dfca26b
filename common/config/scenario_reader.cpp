#include "scenario_reader.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "csv_data.hpp"
#include "input_file.hpp"

namespace swarmlet::config::loading {

const std::string& reader::shipped_file(const YAML::Node& n, const std::string& what) const {
  const std::string name = text(n, what);
  if (name.empty()) fail(n, what + " must name a file");
  if (auto it = shipped_.find(name); it != shipped_.end()) return it->second;
  if (data_ != nullptr) {
    auto it = data_->find(name);
    if (it == data_->end()) fail(n, what + ": " + name + " did not come with the scenario");
    return shipped_.emplace(name, it->second).first->second;
  }
  const std::string path = name[0] == '/' ? name : base_dir_ + "/" + name;
  std::error_code ec;
  if (confined_ && (name[0] == '/' || name.find("..") != std::string::npos ||
                    !std::filesystem::is_regular_file(path, ec)))
    fail(n, what + " '" + name + "' must be a file next to the master's scenario, without '..'");
  if (std::filesystem::is_directory(path, ec)) fail(n, what + ": " + path + " is a directory");
  std::string why;
  auto contents = read_input_file(path, why);
  if (!contents) fail(n, what + ": cannot read " + path + " (" + why + ")");
  return shipped_.emplace(name, std::move(*contents)).first->second;
}

void reader::read_data(const std::string& name, std::vector<std::string>& columns,
                       std::vector<std::vector<std::string>>& rows) const {
  if (data_ != nullptr) {
    auto it = data_->find(name);
    if (it == data_->end())
      throw std::runtime_error("data file " + name + " did not come with the scenario");
    return parse_csv(it->second, name, columns, rows);
  }
  if (confined_) {
    // Someone else's scenario (posted to the web API): it may name only regular files in
    // the master's scenario directory, never a device, a FIFO or a file elsewhere.
    if (name.empty() || name.front() == '/' || name.find("..") != std::string::npos)
      throw std::runtime_error("data file '" + name +
                               "': name it relative to the master's scenario, without '..'");
    std::error_code ec;
    if (!std::filesystem::is_regular_file(base_dir_ + "/" + name, ec))
      throw std::runtime_error("data file '" + name +
                               "' is not a file next to the master's scenario");
  }
  read_csv_file(name.size() && name[0] == '/' ? name : base_dir_ + "/" + name, columns, rows);
}

std::string reader::read_script(const std::string& name) const {
  if (data_ != nullptr) {
    auto it = data_->find(name);
    if (it == data_->end())
      throw std::runtime_error("script " + name + " did not come with the scenario");
    return it->second;
  }
  std::string why;
  auto text = read_input_file(name.size() && name[0] == '/' ? name : base_dir_ + "/" + name, why);
  if (!text) throw std::runtime_error("cannot read the script " + name + ": " + why);
  return std::move(*text);
}

}  // namespace swarmlet::config::loading
