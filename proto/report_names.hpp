#pragma once
// A worker's numbers for its request names on the stats plane: each (method, name) gets the next
// number the first time a report of the run holds it, and reports then carry the number alone.
// A name travels with every report until the master says it knows it: the master's heartbeats
// carry, per run, how many of the worker's numbers it knows without a gap (acknowledged()). So a
// lost report costs nothing but the names riding again, a master never has to ask for a name, a
// re-registered worker keeps its numbers (the master keeps its table for the run), and a
// restarted master runs a new run, for which the numbering starts again from 0.
#include <cstdint>
#include <map>
#include <vector>

#include "common/stats/stats_table.hpp"

namespace swarmlet::proto {

class report_names {
 public:
  /// Name definitions one report carries at most (used names first, then others not yet known
  /// to the master): the decoder refuses more.
  static constexpr std::uint32_t max_definitions = 4000;

  report_names() = default;
  // keys_ point into numbers_: a copy would point into the original.
  report_names(const report_names&) = delete;
  report_names& operator=(const report_names&) = delete;
  report_names(report_names&&) = default;
  report_names& operator=(report_names&&) = default;

  /// Reports from now on are of run `run_id`: a new run numbers from 0 again.
  void use_run(std::uint64_t run_id);
  std::uint64_t run_id() const noexcept { return run_id_; }
  /// The number of `key` in this run (the next one when it is new).
  std::uint32_t number(const stats::request_key& key);
  /// The master knows numbers below `known_below` in run `run_id` (ignored for another run; a
  /// lower count than before changes nothing: the master never forgets a name within a run).
  void acknowledged(std::uint64_t run_id, std::uint32_t known_below) noexcept;
  /// Numbers below this need no definition in a report.
  std::uint32_t known_below() const noexcept { return known_below_; }
  /// Numbers given so far in this run.
  std::uint32_t size() const noexcept { return static_cast<std::uint32_t>(keys_.size()); }
  const stats::request_key& key(std::uint32_t number) const { return *keys_.at(number); }

 private:
  std::uint64_t run_id_ = 0;
  std::map<stats::request_key, std::uint32_t> numbers_;
  std::vector<const stats::request_key*> keys_;  ///< by number; point into numbers_
  std::uint32_t known_below_ = 0;
};

}  // namespace swarmlet::proto
