#pragma once
// What the master has merged, summed per kind of count, so that it can refuse a report whose
// counts would overflow a total. A worker's counts are deltas of about a second, far below 2^64;
// a broken or hostile worker's may be near it, and adding those wraps a total (unsigned, so
// silently) to a small number that every report then shows as true. Each total the master keeps
// (a row, an interval, the window, every row together, a worker's record, an error's or an
// exception's count) adds up a part of what one of these sums holds, and the sums are never
// reset: while they fit in 64 bits, every total does.
//
// Checked against the sum of all workers alone, one hostile report of 2^64 - 100 requests took
// that sum near 2^64, and every honest report after it was refused, its worker blamed (sandbox
// hunt). So each worker id has sums of its own in a run, bounded by worker_ceiling, and a run
// counts the reports of at most max_counted_workers ids: their sums together stay below 2^63,
// and the one that would pass its ceiling is the one refused.
#include <cstddef>
#include <cstdint>

#include "common/stats/exception_table.hpp"
#include "common/stats/stats_table.hpp"
#include "proto/stats_frame.hpp"

namespace swarmlet::master {

/// What one worker id may count of each kind in a run, but time: 2^48 (2.8e14) requests,
/// errors, exceptions or dropped iterations is 11 months at 10 million a second, ten times what
/// the fastest generator does on a core; 2^48 bytes is 256 TiB. Far above what a worker does in
/// a test, low enough that max_counted_workers of them fit in 2^63. A report past it is
/// refused, its requests counted lost, and its worker named.
inline constexpr std::uint64_t worker_ceiling = std::uint64_t{1} << 48;
/// The same for the sums of response and service time (microseconds), which an honest worker
/// grows far faster: 2^48 us was 10,000 users each always waiting on a response for 7.8 hours,
/// a soak test's (review). 2^56 is 83 days of that. These sums of max_counted_workers workers
/// could pass 2^64, so the sum of all workers is checked too (the report that would pass it is
/// refused): to fill it, a hostile party needs 256 worker ids at their ceiling.
inline constexpr std::uint64_t worker_time_ceiling = std::uint64_t{1} << 56;
/// The worker ids whose reports a run counts: 32,768, above the 20,000 workers a master is
/// built to take (issue 16; Locust's large tests run hundreds). Times worker_ceiling: 2^63, half
/// of what a sum holds, the other half for the master's own requests (main.lua's setup and
/// teardown).
inline constexpr std::size_t max_counted_workers = 32768;

struct count_sums {
  /// Of every row and the lag row. A row's failures and histogram counts are within its
  /// requests (proto checks a frame's rows so), so they need no sums of their own.
  std::uint64_t requests = 0;
  std::uint64_t total_us = 0;
  std::uint64_t content_bytes = 0;
  std::uint64_t dropped = 0;
  std::uint64_t service_total_us = 0;
  std::uint64_t errors = 0;
  std::uint64_t exceptions = 0;
  std::uint64_t versions = 0;       ///< requests by HTTP version, HTTP/1.1 and HTTP/2 together
  std::uint64_t requests_sent = 0;  ///< each worker's latest count of requests sent, summed

  /// Adds `frame`'s counts, and `sent_more` (how far it moves its worker's count of requests
  /// sent). Returns the name of the first count that would pass 2^64 - 1, or nullptr; the sums
  /// are then partly added, so add to a copy.
  const char* add(const proto::stats_frame& frame, std::uint64_t sent_more);
  /// As add(frame) for a report merged whole (the workers of `swarmlet run`, the master's own
  /// requests).
  const char* add(const stats::stats_table& table, const stats::exception_table& exceptions,
                  std::uint64_t sent_more);
  /// The name of the first sum above its ceiling (`time_ceiling` for the sums of microseconds,
  /// `ceiling` for the others), or nullptr.
  const char* past(std::uint64_t ceiling, std::uint64_t time_ceiling) const noexcept;
};

}  // namespace swarmlet::master
