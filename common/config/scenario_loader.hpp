#pragma once
// Reads a scenario file (YAML) into a validated `scenario`. Every mistake is reported as one
// config_error naming file:line:column and what was expected there.
#include <string>

#include "config_error.hpp"
#include "scenario.hpp"

namespace swarmlet::config {

/// Reads and validates the scenario at `path` (data files are found relative to it).
scenario load_scenario_file(const std::string& path);
/// The same from text; `name` stands for the file in messages, `base_dir` for data files.
scenario load_scenario_text(const std::string& text, const std::string& name,
                            const std::string& base_dir = ".");

}  // namespace swarmlet::config
