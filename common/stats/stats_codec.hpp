#pragma once
// msgpack encoding of stats tables, for the stats plane. The decoder trusts nothing: any
// malformed input is rejected with a reason, never a crash.
#include <msgpack.hpp>
#include <optional>
#include <string>

#include "exception_table.hpp"
#include "stats_table.hpp"

namespace swarmlet::stats {

/// Appends `table` to a msgpack stream.
void pack_stats(msgpack::packer<msgpack::sbuffer>& out, const stats_table& table);
/// Reads a table packed by pack_stats; on malformed input returns none and sets `error`.
std::optional<stats_table> unpack_stats(const msgpack::object& in, std::string& error);

/// Appends `table` to a msgpack stream: [[message, traceback, count], ...].
void pack_exceptions(msgpack::packer<msgpack::sbuffer>& out, const exception_table& table);
/// Reads what pack_exceptions wrote: at most max_report_exceptions rows, texts no longer than
/// exception_table allows; on malformed input returns none and sets `error`.
std::optional<exception_table> unpack_exceptions(const msgpack::object& in, std::string& error);
/// Rows of exceptions one report may carry (an honest worker sends at most
/// exception_table::default_max_distinct + 1).
inline constexpr std::uint32_t max_report_exceptions = 256;

/// Limits for msgpack::unpack on untrusted input: element counts, string sizes and depth that no
/// honest message exceeds, so a lying header cannot make the decoder allocate gigabytes.
msgpack::unpack_limit safe_unpack_limit();

/// Whole-buffer helpers (tests, files).
std::string encode_stats(const stats_table& table);
std::optional<stats_table> decode_stats(const std::string& bytes, std::string& error);

}  // namespace swarmlet::stats
