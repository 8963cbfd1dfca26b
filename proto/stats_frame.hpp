#pragma once
// A stats report as the stats plane carries it (protocol 6), and the master's view of one.
// Request names go by number (report_names.hpp): a report defines the numbers the master does
// not know yet, and refers to every row by number. Histograms are sparse: only non-empty buckets,
// each as its distance from the previous one (so most fit in one byte) and its count.
//
// The master reads a frame in place into a stats_frame: flat and reused from one report to the
// next (no map, no histogram, no string per row), checked whole before any of it counts, and
// then merged straight into the aggregate (master/aggregator.cpp).
#include <cstdint>
#include <map>
#include <msgpack.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/stats/request_stats.hpp"
#include "common/stats/stats_table.hpp"
#include "id_ranges.hpp"
#include "messages.hpp"
#include "report_names.hpp"

namespace swarmlet::proto {

/// One row's figures as the frame holds them; its histograms are ranges of stats_frame::buckets.
struct wire_stats {
  std::uint64_t requests = 0;
  std::uint64_t failures = 0;
  std::uint64_t total_us = 0;
  std::uint64_t min_us = 0;  ///< 0 when there are no requests
  std::uint64_t max_us = 0;
  std::uint64_t content_bytes = 0;
  std::uint64_t dropped = 0;
  std::uint64_t service_total_us = 0;
  std::uint32_t histogram_begin = 0, histogram_end = 0;  ///< [begin, end) of buckets
  std::uint32_t service_begin = 0, service_end = 0;
};

struct name_definition {
  std::uint32_t number = 0;
  std::string_view method;
  std::string_view name;
};

struct wire_row {
  std::uint32_t name = 0;  ///< a number of the worker's report_names
  wire_stats stats;
};

struct wire_error_row {
  std::string_view method, name, message;
  std::uint64_t count = 0;
};

struct wire_exception_row {
  std::string_view message, traceback;
  std::uint64_t count = 0;
};

/// A decoded stats frame. Its views point into bytes(): valid until the next read().
class stats_frame {
 public:
  /// Name numbers a worker may use in a run (the master keeps a table of them per worker).
  static constexpr std::uint32_t max_name_number = 1u << 20;
  /// Rows and errors one frame may hold: what a worker folds its reports to
  /// (stats::stats_table::fold_past), so only a broken or hostile worker sends more.
  static constexpr std::uint32_t max_rows = stats::stats_table::max_report_rows;
  static constexpr std::uint32_t max_errors = stats::stats_table::max_report_errors;

  /// Takes `bytes` (one frame of the stats plane) and reads it: an error saying why it is not a
  /// sound stats report, or none. After an error, the view holds the frame's header alone when
  /// header_read(), else nothing usable.
  std::optional<std::string> read(std::string bytes);
  /// Whether the last read() got through the header (sender to data_rows_used) soundly, so
  /// that a frame refused for its body (more rows than a report may carry, a bad row) is known
  /// for whose and which report it was: no names, rows, errors nor exceptions then.
  bool header_read() const noexcept { return header_read_; }

  std::string_view sender;
  std::uint64_t run_id = 0;
  std::uint64_t incarnation = 0;  ///< of the worker's process (stats_report::incarnation)
  std::uint64_t sequence = 0;
  bool final = false;
  std::uint64_t command_id = 0;
  std::uint64_t stats_resets = 0;  ///< stats_report::stats_resets
  int users = 0;
  int peak_users = 0;
  double cpu_percent = 0;
  hub_strain hubs;                         ///< stats_report::hubs
  std::vector<std::string_view> warnings;  ///< stats_report::warnings
  std::uint64_t requests_sent = 0;
  id_ranges live_user_ids;
  std::map<std::string, std::uint64_t> data_rows_used;
  std::vector<name_definition> names;
  std::vector<wire_row> rows;
  std::vector<wire_error_row> errors;
  wire_stats lag;
  std::uint64_t http1_1 = 0, http2 = 0;
  std::vector<wire_exception_row> exceptions;
  /// Every histogram's non-empty (bucket, count), ascending within each.
  std::vector<std::pair<std::uint32_t, std::uint64_t>> buckets;

  /// Requests in the rows, script errors' rows too: what the worker counts as sent (loss
  /// accounting), not what the report adds to the totals of requests.
  std::uint64_t requests() const noexcept;
  std::span<const std::pair<std::uint32_t, std::uint64_t>> histogram(const wire_stats& s) const {
    return {buckets.data() + s.histogram_begin, buckets.data() + s.histogram_end};
  }
  std::span<const std::pair<std::uint32_t, std::uint64_t>> service(const wire_stats& s) const {
    return {buckets.data() + s.service_begin, buckets.data() + s.service_end};
  }
  /// Adds a row's figures to `into` (as request_stats::merge would add them).
  void add_to(stats::request_stats& into, const wire_stats& s) const noexcept;
  /// The report as a whole, names resolved by the frame's own definitions only; none (and
  /// `error` set) when a row uses a number the frame does not define.
  std::optional<stats_report> self_contained(std::string& error) const;
  const std::string& bytes() const noexcept { return bytes_; }

 private:
  std::string bytes_;
  bool header_read_ = false;
};

/// Appends the payload of `report` to a msgpack stream (codec.cpp's encode() uses it with a
/// fresh report_names, so that every name is defined in the message).
void pack_stats_report(msgpack::packer<msgpack::sbuffer>& out, const stats_report& report,
                       report_names& names);
/// A whole stats message (envelope and payload) for `report` from `sender`: names `names`
/// does not know yet are defined in it (and numbered there for the run).
std::string encode_stats(const std::string& sender, const stats_report& report,
                         report_names& names);

}  // namespace swarmlet::proto
