#pragma once
// What may be set over a scenario's load when a test starts: from the command line (-u, -r, -t,
// -H) or from the HTTP API's start request. One place, so both mean the same.
#include <optional>
#include <string>
#include <vector>

#include "config_error.hpp"
#include "scenario.hpp"

namespace swarmlet::config {

struct load_overrides {
  std::optional<int> users;  ///< replaces load.users and drops the stages
  std::optional<double> spawn_rate;
  std::optional<std::string>
      run_time;                     ///< a duration ("30s", "5m"); "", "0" or "0s": until stopped
  std::optional<std::string> host;  ///< the target's base URL
  std::optional<std::vector<stage_spec>> stages;  ///< closed-model stages; replace load.stages
};

/// How each override is called in errors: the flag on the command line, the JSON field in the API.
struct override_labels {
  std::string users = "users";
  std::string run_time = "run_time";
  std::string host = "host";
  std::string stages = "stages";
  std::string spawn_rate = "spawn rate";
};

/// Applies `o` to `s`. Throws config_error (one line naming the label) for a run time that is
/// not a duration, a host that is not a URL, a user count or spawn rate for the open model, a bad
/// stage, or no target at all (neither the scenario's `target` nor a host).
void apply_overrides(scenario& s, const load_overrides& o, const override_labels& labels = {});

}  // namespace swarmlet::config
