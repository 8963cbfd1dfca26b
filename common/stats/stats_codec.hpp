#pragma once
// msgpack encoding of stats tables, for the stats plane. The decoder trusts nothing: any
// malformed input is rejected with a reason, never a crash.
#include <msgpack.hpp>
#include <optional>
#include <string>

#include "stats_table.hpp"

namespace swarmlet::stats {

/// Appends `table` to a msgpack stream.
void pack_stats(msgpack::packer<msgpack::sbuffer>& out, const stats_table& table);
/// Reads a table packed by pack_stats; on malformed input returns none and sets `error`.
std::optional<stats_table> unpack_stats(const msgpack::object& in, std::string& error);

/// Limits for msgpack::unpack on untrusted input: element counts, string sizes and depth that no
/// honest message exceeds, so a lying header cannot make the decoder allocate gigabytes.
msgpack::unpack_limit safe_unpack_limit();

/// Whole-buffer helpers (tests, files).
std::string encode_stats(const stats_table& table);
std::optional<stats_table> decode_stats(const std::string& bytes, std::string& error);

}  // namespace swarmlet::stats
