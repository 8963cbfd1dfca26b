#include "aggregator.hpp"

#include <algorithm>
#include <ctime>

namespace swarmlet::master {

stats::stats_table aggregator::per_second_table() {
  stats::stats_table t;
  t.cap_names(static_cast<std::size_t>(-1));  // it takes names folded by the totals already
  return t;
}

bool aggregator::add(const proto::stats_report& report) {
  if (report.run_id != run_id_) {
    ++rejected_;
    return false;
  }
  auto& w = workers_[report.worker_id];
  if (report.sequence <= w.last_sequence) {
    if (w.missing.erase(report.sequence) == 0) {  // a repeat: already merged
      ++rejected_;
      return false;
    }
    --w.lost;  // late, not lost after all
  } else {
    for (std::uint64_t s = w.last_sequence + 1; s < report.sequence; ++s) w.missing.insert(s);
    w.lost += report.sequence - w.last_sequence - 1;
    w.last_sequence = report.sequence;
  }
  ++w.reports;
  w.users = report.users;
  w.requests_received += report.delta.total().requests;
  w.requests_sent = std::max(w.requests_sent, report.requests_sent);
  if (report.final) {
    w.final_command = std::max(w.final_command, report.command_id);
    const auto sent = last_command_.find(report.worker_id);
    w.final_received = sent == last_command_.end() || w.final_command >= sent->second;
  }
  totals_.merge(report.delta);
  // The per-second tables hold only names the totals hold, folded the same way.
  interval_.merge(totals_.counted_as_here(report.delta));
  for (const auto& [key, n] : report.exceptions.entries())
    add_exception(report.worker_id, key.message, key.traceback, n);
  return true;
}

void aggregator::add_local(const stats::stats_table& table) {
  totals_.merge(table);
  interval_.merge(totals_.counted_as_here(table));
}

void aggregator::commanded(const std::string& worker_id, std::uint64_t command) {
  auto& last = last_command_[worker_id];
  last = std::max(last, command);
  if (auto it = workers_.find(worker_id); it != workers_.end() && it->second.final_command < last)
    it->second.final_received = false;
}

void aggregator::add_exception(const std::string& worker_id, const std::string& message,
                               const std::string& traceback, std::uint64_t count) {
  std::pair<std::string, std::string> key{message, traceback};
  const std::pair<std::string, std::string> other{stats::exception_table::other_exceptions, ""};
  if (!exceptions_.count(key) &&
      exceptions_.size() >= max_exceptions + (exceptions_.count(other) ? 1 : 0))
    key = other;
  auto& e = exceptions_[key];
  if (e.count == 0) {
    e.message = key.first;
    e.traceback = key.second;
  }
  e.count += count;
  e.workers.insert(worker_id);
}

std::vector<const exception_record*> aggregator::exceptions_by_count() const {
  std::vector<const exception_record*> out;
  for (const auto& [key, e] : exceptions_) out.push_back(&e);
  std::stable_sort(
      out.begin(), out.end(),
      [](const exception_record* a, const exception_record* b) { return a->count > b->count; });
  return out;
}

void aggregator::tick(double elapsed_s, int users) {
  window_.push_back(std::move(interval_));
  interval_ = per_second_table();
  while (window_.size() > window_intervals) window_.pop_front();
  history_row row;
  row.elapsed_s = elapsed_s;
  row.unix_time = static_cast<std::int64_t>(std::time(nullptr));
  row.users = users;
  stats::request_stats window;
  for (const auto& t : window_) window.merge(t.total());
  row.rps = static_cast<double>(window.requests) / window_.size();
  row.fails_per_s = static_cast<double>(window.failures) / window_.size();
  row.window = history_window::of(window);
  row.total = history_totals::of(totals_.total());
  history_.add(std::move(row));
}

void aggregator::reset_stats() {
  totals_ = stats::stats_table{};
  totals_.cap_names(max_names_);
  interval_ = per_second_table();
  window_.clear();
  exceptions_.clear();
}

stats::request_stats aggregator::current_window(const stats::request_key& key) const {
  stats::request_stats out;
  for (const auto& t : window_)
    if (auto it = t.entries().find(key); it != t.entries().end()) out.merge(it->second);
  return out;
}

std::pair<double, double> aggregator::current_rates(const stats::request_key* key) const {
  if (window_.empty()) return {0, 0};
  double req = 0, fail = 0;
  for (const auto& t : window_) {
    if (key == nullptr) {
      const auto total = t.total();
      req += total.requests;
      fail += total.failures;
    } else if (auto it = t.entries().find(*key); it != t.entries().end()) {
      req += it->second.requests;
      fail += it->second.failures;
    }
  }
  return {req / window_.size(), fail / window_.size()};
}

std::uint64_t aggregator::lost_reports() const {
  std::uint64_t n = 0;
  for (const auto& [id, w] : workers_) n += w.lost;
  return n;
}

std::uint64_t aggregator::lost_requests() const {
  std::uint64_t n = 0;
  for (const auto& [id, w] : workers_) n += w.lost_requests();
  return n;
}

bool aggregator::all_final() const {
  for (const auto& [id, w] : workers_)
    if (!w.final_received) return false;
  return true;
}

int aggregator::users() const {
  int n = 0;
  for (const auto& [id, w] : workers_) n += w.users;
  return n;
}

}  // namespace swarmlet::master
