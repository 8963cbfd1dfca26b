#pragma once
// Reads a scenario file (YAML) into a validated `scenario`. Every mistake is reported as one
// config_error naming file:line:column and what was expected there.
#include <map>
#include <string>

#include "config_error.hpp"
#include "scenario.hpp"

namespace swarmlet::config {

/// Reads and validates the scenario at `path` (data files are found relative to it). Its
/// ${env.NAME} are read from `env` (this process's environment unless told otherwise) now,
/// once; the values read are in scenario::environment.
scenario load_scenario_file(const std::string& path,
                            const environment_lookup& env = process_environment());
/// The same from text; `name` stands for the file in messages, `base_dir` for data files.
scenario load_scenario_text(const std::string& text, const std::string& name,
                            const std::string& base_dir = ".",
                            const environment_lookup& env = process_environment());

/// The same for a scenario from someone else (posted to the web API): its data files must be
/// regular files inside `base_dir`, named relative to it without "..", and it reads no
/// environment variable (every ${env.NAME} is unset: only defaults apply).
scenario load_confined_scenario_text(const std::string& text, const std::string& name,
                                     const std::string& base_dir);
/// The same with its data files given, not read from disk (a worker gets them in the master's
/// welcome); a data file missing from `data` is an error naming it.
scenario load_scenario_text(const std::string& text, const std::string& name,
                            const data_file_contents& data,
                            const environment_lookup& env = process_environment());

}  // namespace swarmlet::config
