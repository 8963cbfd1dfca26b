#pragma once
// How big setup()'s value may be on its way to the workers (spawn_command::setup_data), and the
// check a worker makes of it: the master makes the same check before any user starts, so that
// it never sends a value its workers refuse (QA: a 20 MB value was dropped by every worker,
// with the spawn command carrying it, and the test ran no user).
#include <cstddef>
#include <optional>
#include <string>

namespace swarmlet::proto {

/// The most bytes setup()'s value may take as msgpack: the most any one string or byte array of
/// a message may (the decoder's cap; it allocates what a header claims before reading it).
inline constexpr std::size_t max_setup_data_bytes = 16 * 1024 * 1024;
/// The most elements (list items or map entries) any one table of the value may hold.
inline constexpr std::size_t max_setup_data_elements = 1'000'000;
/// The deepest tables may nest in the value (workers make Lua tables of it by recursion).
inline constexpr std::size_t max_setup_data_depth = 64;

/// Why `msgpack` (setup()'s value, as encode_setup_data makes it) cannot reach the workers, in
/// one line; nothing when it can (empty bytes: no value).
std::optional<std::string> setup_data_problem(const std::string& msgpack);

}  // namespace swarmlet::proto
