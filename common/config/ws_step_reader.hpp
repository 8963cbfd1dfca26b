#pragma once
// The scenario loader's reader of WebSocket steps: `ws: /path` (open), `send:` (with `expect:`
// for a reply), `expect:` (a message the server pushes) and `close`. Internal to the loader.
#include <yaml-cpp/yaml.h>

#include "scenario.hpp"
#include "scenario_reader.hpp"

namespace swarmlet::config::loading {

/// Whether a step is a WebSocket step (ws, send, expect, close) rather than a request.
bool is_ws_step(const YAML::Node& n);
/// A WebSocket step, recorded as a request of method WS; `as_task` and `inherited` as for
/// read_request.
request_spec read_ws_step(const reader& r, const YAML::Node& n, bool as_task,
                          failure_action inherited);

}  // namespace swarmlet::config::loading
