#pragma once
// Durations as people write them: "500ms", "30s", "2m", "1h30m", "1.5s"; a bare number is seconds.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace swarmlet::config {

/// Parses `text`; none when it is not a duration (negative ones included, and units that do not
/// go from the largest down, each once: "1h1h", "30s1m").
std::optional<std::chrono::microseconds> parse_duration(std::string_view text);
/// Rates as people write them: "5000/s", "300/m", "10/h", or a bare number per second.
std::optional<double> parse_rate(std::string_view text, bool zero_allowed = false);

/// "1h30m", "45s", "250ms": the shortest exact spelling.
std::string format_duration(std::chrono::microseconds d);

}  // namespace swarmlet::config
