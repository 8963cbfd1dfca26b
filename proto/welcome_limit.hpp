#pragma once
// How big a welcome may be on its way to the workers: it carries the scenario and every file it
// names (data files, scripts, TLS and body files), and a worker refuses one whose file passes
// the decoder's cap on a string, as the transport refuses a frame past its own. The master makes
// the same check before a test starts (QA: a 17 MB data file ran, under `swarmlet run`; a master
// ran it with no worker, every one having refused its welcome, and exited 0).
#include <cstddef>
#include <optional>
#include <string>

#include "codec.hpp"

namespace swarmlet::proto {

/// The most bytes one file of a welcome (or its scenario) may take.
inline constexpr std::size_t max_welcome_file_bytes = std::size_t{16} << 20;
/// The most bytes its files and scenario may take in all: a frame is at most 64 MiB
/// (zmq_transport), and the rest of the welcome needs room.
inline constexpr std::size_t max_welcome_bytes = std::size_t{60} << 20;

/// Why `w` cannot reach the workers, in one line naming the file; nothing when it can.
std::optional<std::string> welcome_problem(const welcome_payload& w);

}  // namespace swarmlet::proto
