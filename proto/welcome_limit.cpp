#include "welcome_limit.hpp"

namespace swarmlet::proto {

std::optional<std::string> welcome_problem(const welcome_payload& w) {
  const auto too_big = [](const std::string& name, std::size_t bytes) {
    return name + " is " + std::to_string(bytes) +
           " bytes: a distributed test ships each file to its workers, at most " +
           std::to_string(max_welcome_file_bytes >> 20) +
           " MiB each (swarmlet run reads up to 256 MiB): split it, or run on one machine";
  };
  std::size_t all = w.scenario_yaml.size();
  if (w.scenario_yaml.size() > max_welcome_file_bytes)
    return too_big(w.scenario_name, w.scenario_yaml.size());
  for (const auto& [name, text] : w.files) {
    if (text.size() > max_welcome_file_bytes) return too_big(name, text.size());
    all += text.size();
  }
  if (all > max_welcome_bytes)
    return "the scenario and its files are " + std::to_string(all) +
           " bytes: a distributed test ships them to its workers in one message, at most " +
           std::to_string(max_welcome_bytes >> 20) + " MiB";
  return std::nullopt;
}

}  // namespace swarmlet::proto
