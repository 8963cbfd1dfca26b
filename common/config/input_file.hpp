#pragma once
// The files a test reads from disk (the scenario, its data, scripts, bodies and TLS files),
// read whole with two guards: only regular files (a FIFO named as a data file blocked the
// master forever, /dev/zero filled its memory), and at most max_input_file_bytes each (every
// worker gets a copy in its welcome).
#include <cstddef>
#include <optional>
#include <string>

namespace swarmlet::config {

inline constexpr std::size_t max_input_file_bytes = std::size_t{256} << 20;

/// The contents of the file at `path`, or nothing with `why` set in a few words ("No such
/// file or directory", "it is not a regular file (a FIFO)", "it is over 256 MiB").
std::optional<std::string> read_input_file(const std::string& path, std::string& why);

}  // namespace swarmlet::config
