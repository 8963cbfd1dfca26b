#include "aggregator.hpp"

#include <algorithm>
#include <ctime>
#include <limits>
#include <unordered_map>

namespace swarmlet::master {

stats::stats_table aggregator::per_second_table() {
  stats::stats_table t;
  t.cap_names(static_cast<std::size_t>(-1));  // it takes names folded by the totals already
  return t;
}

bool aggregator::take_sequence(worker_record& w, std::uint64_t sequence) {
  if (sequence <= w.last_sequence) {
    if (!w.missing.contains(sequence)) {  // a repeat: already merged
      ++rejected_;
      return false;
    }
    w.missing.erase(sequence);
    --w.lost;  // late, not lost after all
  } else {
    // A worker numbers its reports one by one, about one a second: a jump this far ahead is
    // not reports lost but a bad or hostile frame, and would make the lost count absurd.
    if (sequence - w.last_sequence > max_sequence_gap) {
      ++rejected_;
      return false;
    }
    if (sequence > w.last_sequence + 1) w.missing.insert(w.last_sequence + 1, sequence - 1);
    w.lost += sequence - w.last_sequence - 1;
    w.last_sequence = sequence;
  }
  return true;
}

bool aggregator::add(const proto::stats_report& report) {
  if (report.run_id != run_id_) {
    ++rejected_;
    return false;
  }
  const process from = process_of(report.worker_id, report.incarnation);
  if (from == process::older) {
    ++rejected_;
    return false;
  }
  std::string scratch;
  const std::string& record = record_of(report.worker_id, from, scratch);
  count_sums counted = sums_;
  count_sums worker_counted;
  const std::uint64_t more_sent = sent_more(record, report.requests_sent);
  if (!worker_sums(report.worker_id, worker_counted) ||
      worker_counted.add(report.delta, report.exceptions, more_sent) != nullptr ||
      worker_counted.past(worker_ceiling, worker_time_ceiling) != nullptr ||
      counted.add(report.delta, report.exceptions, more_sent) != nullptr) {
    ++rejected_;
    return false;
  }
  auto& w = workers_[record];
  if (!take_sequence(w, report.sequence)) return false;
  sums_ = counted;
  sums_by_worker_[report.worker_id] = worker_counted;
  ++w.reports;
  if (from == process::joined) w.users = report.users;  // a process replaced has none
  w.requests_received += report.delta.all_rows().requests;
  w.requests_sent = std::max(w.requests_sent, w.requests_sent_earlier + report.requests_sent);
  if (report.final) {
    w.final_command = std::max(w.final_command, report.command_id);
    w.final_received = answers_last_command(report.worker_id, from, w.final_command);
  }
  if (report.stats_resets < stats_resets_) {
    skip_span(w);
    return true;
  }
  add_span(w, record, report.delta.all_rows().requests);
  totals_.merge(report.delta);
  // The per-second tables hold only names the totals hold, folded the same way.
  interval_.merge(totals_.counted_as_here(report.delta));
  for (const auto& [key, n] : report.exceptions.entries())
    add_exception(report.worker_id, key.message, key.traceback, n);
  return true;
}

aggregator::add_result aggregator::add_frame(const proto::stats_frame& frame, process from,
                                             int& users_change, bool readable) {
  users_change = 0;
  if (frame.run_id != run_id_) {
    ++rejected_;
    return add_result::rejected;
  }
  if (from == process::older) {
    ++rejected_;
    return add_result::stale;
  }
  const std::string worker_id(frame.sender);
  std::string scratch;
  const std::string& record = record_of(worker_id, from, scratch);
  // Checked before anything of the frame counts, so that a refused one leaves no trace.
  count_sums counted, worker_counted;
  if (sums_with(frame, record, counted, worker_counted) != nullptr) return add_result::overflows;
  auto& w = workers_[record];
  const resolution resolved = readable ? resolve(w, frame) : resolution::unresolved;
  if (!take_sequence(w, frame.sequence)) return add_result::rejected;
  const std::uint64_t more_sent = sent_more(record, frame.requests_sent);
  if (from == process::joined) {  // a process replaced has no users
    users_change = frame.users - w.users;
    w.users = frame.users;
  }
  w.requests_sent = std::max(w.requests_sent, w.requests_sent_earlier + frame.requests_sent);
  if (frame.final) {
    w.final_command = std::max(w.final_command, frame.command_id);
    w.final_received = answers_last_command(worker_id, from, w.final_command);
  }
  if (resolved != resolution::resolved) {
    w.missing.insert(frame.sequence);
    ++w.lost;
    // Only its header counts: its rows are summed if it comes again resolved, and merged then.
    sums_.requests_sent += more_sent;  // fits: checked with the whole frame
    sums_by_worker_[worker_id].requests_sent += more_sent;
    if (!readable) return add_result::refused;
    return resolved == resolution::names_full ? add_result::names_full : add_result::unresolved;
  }
  sums_ = counted;
  sums_by_worker_[worker_id] = worker_counted;
  ++w.reports;
  w.requests_received += frame.requests();
  if (frame.stats_resets < stats_resets_) {
    skip_span(w);
    return add_result::merged;
  }
  add_span(w, record, frame.requests());
  merge_rows(w, frame);
  for (const auto& e : frame.exceptions)
    add_exception(worker_id, std::string(e.message), std::string(e.traceback), e.count);
  return add_result::merged;
}

std::uint64_t aggregator::sent_more(const std::string& record, std::uint64_t requests_sent) const {
  const worker_record* w = workers_.find(record);
  // Of the record's process alone: one before a restart also holds what earlier ones sent.
  const std::uint64_t before = w == nullptr ? 0 : w->requests_sent - w->requests_sent_earlier;
  return requests_sent > before ? requests_sent - before : 0;
}

bool aggregator::worker_sums(std::string_view worker_id, count_sums& into) const {
  if (const count_sums* counted = sums_by_worker_.find(worker_id)) {
    into = *counted;
    return true;
  }
  into = {};
  return sums_by_worker_.ordered().size() < max_counted_workers;
}

const char* aggregator::sums_with(const proto::stats_frame& frame, const std::string& record,
                                  count_sums& into, count_sums& worker_into) const {
  if (!worker_sums(frame.sender, worker_into)) return too_many_workers;
  const std::uint64_t more_sent = sent_more(record, frame.requests_sent);
  // The worker's own sums first: the report that passes its ceiling is the one to blame.
  if (const char* count = worker_into.add(frame, more_sent)) return count;
  if (const char* count = worker_into.past(worker_ceiling, worker_time_ceiling)) return count;
  into = sums_;
  return into.add(frame, more_sent);
}

const char* aggregator::overflowing_count(const proto::stats_frame& frame, process from) const {
  if (from == process::older) return nullptr;  // not merged at all
  std::string scratch;
  count_sums ignored, worker_ignored;
  return sums_with(frame, record_of(std::string(frame.sender), from, scratch), ignored,
                   worker_ignored);
}

aggregator::process aggregator::process_of(const std::string& worker_id,
                                           std::uint64_t incarnation) const {
  if (incarnation == 0) return process::joined;
  const processes* p = processes_.find(worker_id);
  if (p == nullptr || p->joined == 0 || p->joined == incarnation) return process::joined;
  return p->replaced == incarnation ? process::replaced : process::older;
}

const std::string& aggregator::record_of(const std::string& worker_id, process from,
                                         std::string& scratch) {
  if (from == process::joined) return worker_id;
  scratch = before_restart(worker_id);
  return scratch;
}

bool aggregator::answers_last_command(const std::string& worker_id, process from,
                                      std::uint64_t final_command) const {
  if (from == process::replaced) {
    // The commands sent since went to the new process: the one replaced owes an answer to the
    // last it was sent, no more (review: its late final read as not received).
    const processes* p = processes_.find(worker_id);
    return p == nullptr || final_command >= p->replaced_last_command;
  }
  const auto sent = last_command_.find(worker_id);
  return sent == last_command_.end() || final_command >= sent->second;
}

aggregator::resolution aggregator::resolve(worker_record& w, const proto::stats_frame& frame) {
  // An honest worker never contradicts itself; a frame that does is not merged (definitions
  // before the contradiction are kept: they agreed with everything known).
  for (const auto& d : frame.names) {
    if (!w.name_rows.has_page(d.number)) {
      if (name_bytes_ + name_numbers::page_bytes > max_name_bytes) return resolution::names_full;
      name_bytes_ += name_numbers::page_bytes;
    }
    auto& row = w.name_rows.slot(d.number);
    if (row != name_numbers::none) {
      const auto& key = rows_[row].key;
      if (key.method != d.method || key.name != d.name) return resolution::unresolved;
      continue;
    }
    stats::request_key key{std::string(d.method), std::string(d.name)};
    if (const auto known = row_numbers_.find(key); known != row_numbers_.end()) {
      row = known->second;
      continue;
    }
    // A name new to the run: its row, and its key in the row and in the index.
    const std::size_t cost =
        sizeof(name_row) + 2 * (sizeof(stats::request_key) + d.method.size() + d.name.size());
    if (name_bytes_ + cost > max_name_bytes) return resolution::names_full;
    name_bytes_ += cost;
    row = static_cast<std::uint32_t>(rows_.size());
    row_numbers_.emplace(key, row);
    rows_.emplace_back().key = std::move(key);
  }
  while (w.name_rows.find(w.names_known) != name_numbers::none) ++w.names_known;
  for (const auto& r : frame.rows)
    if (w.name_rows.find(r.name) == name_numbers::none) return resolution::unresolved;
  return resolution::resolved;
}

void aggregator::merge_rows(const worker_record& w, const proto::stats_frame& frame) {
  for (const auto& r : frame.rows) {
    const std::uint32_t index = w.name_rows.find(r.name);
    name_row& row = rows_[index];
    frame.add_to(row.interval, r.stats);
    if (!row.touched) {
      row.touched = true;
      touched_.push_back(index);
    }
  }
  frame.add_to(totals_.lag(), frame.lag);
  frame.add_to(interval_.lag(), frame.lag);
  for (auto* t : {&totals_, &interval_}) {
    t->versions().http1_1 += frame.http1_1;
    t->versions().http2 += frame.http2;
  }
  if (frame.errors.empty()) return;
  stats::stats_table errors;  // rare: through the tables' own folding
  for (const auto& e : frame.errors)
    errors.record_error(std::string(e.method), std::string(e.name), std::string(e.message),
                        e.count);
  totals_.merge(errors);
  interval_.merge(totals_.counted_as_here(errors));
}

void aggregator::flush_rows() const {
  for (const std::uint32_t index : touched_) {
    name_row& row = rows_[index];
    if (row.generation != totals_generation_) {
      auto& counted = totals_.counted_entry(row.key);
      row.total = &counted.second;
      row.counted_as = &counted.first;
      row.generation = totals_generation_;
    }
    row.total->merge(row.interval);
    interval_.entry(row.counted_as->method, row.counted_as->name).merge(row.interval);
    row.interval.clear();
    row.touched = false;
  }
  touched_.clear();
}

std::uint32_t aggregator::names_known(const std::string& worker_id) const {
  const worker_record* w = workers_.find(worker_id);
  return w == nullptr ? 0 : w->names_known;
}

void aggregator::add_local(const stats::stats_table& table) {
  count_sums counted = sums_;
  if (counted.add(table, stats::exception_table{}, 0) != nullptr) return;
  sums_ = counted;
  totals_.merge(table);
  interval_.merge(totals_.counted_as_here(table));
}

void aggregator::joined(const std::string& worker_id, std::uint64_t incarnation) {
  processes_[worker_id].joined = incarnation;
  commanded_at_.erase(worker_id);
  if (worker_record* w = workers_.find(worker_id)) w->covered_until.reset();
}

void aggregator::restarted(const std::string& worker_id) {
  processes& p = processes_[worker_id];
  p.replaced = std::exchange(p.joined, 0);  // the new process's comes with its joined()
  const auto sent = last_command_.find(worker_id);
  p.replaced_last_command = sent == last_command_.end() ? 0 : sent->second;
  worker_record* w = workers_.find(worker_id);
  worker_record* earlier = workers_.find(before_restart(worker_id));
  if (w == nullptr) {
    // Nothing of the replaced process merged yet: its record is made if a report of it comes
    // (review: a crash loop that never reported left an empty row). The numbering of an
    // earlier process's is not its.
    if (earlier != nullptr) {
      earlier->requests_sent_earlier = earlier->requests_sent;
      earlier->last_sequence = 0;
      earlier->missing = {};
      earlier->name_rows = {};
      earlier->names_known = 0;
    }
    return;
  }
  worker_record gone = std::move(*w);
  workers_.erase(worker_id);
  // One record of what came before, however often it restarts: a flapping worker must not
  // grow the reports by a row per restart.
  worker_record& before = earlier != nullptr ? *earlier : workers_[before_restart(worker_id)];
  before.reports += gone.reports;
  before.lost += gone.lost;
  before.requests_received += gone.requests_received;
  before.requests_sent_earlier = before.requests_sent;
  before.requests_sent += gone.requests_sent;
  before.final_received = gone.final_received;
  before.final_command = gone.final_command;
  before.users = 0;  // its process, and its users, are gone
  // The gone process's reports still on their way (the stats plane is a connection of its
  // own, and may bring one after the new process's hello) count here, in its own numbering:
  // taken for the new process's, one numbered 40 had the new one's 40th refused as a repeat.
  before.last_sequence = gone.last_sequence;
  before.missing = std::move(gone.missing);
  before.name_rows = std::move(gone.name_rows);
  before.names_known = gone.names_known;
  before.covered_until = gone.covered_until;
}

void aggregator::commanded(const std::string& worker_id, std::uint64_t command) {
  commanded_at_.try_emplace(worker_id, clock_->now());
  auto& last = last_command_[worker_id];
  last = std::max(last, command);
  if (worker_record* w = workers_.find(worker_id); w != nullptr && w->final_command < last)
    w->final_received = false;
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

namespace {

/// The spans' union, as disjoint spans in order.
template <class Span>
std::vector<Span> union_of(std::vector<Span> spans) {
  std::sort(spans.begin(), spans.end(),
            [](const Span& a, const Span& b) { return a.from < b.from; });
  std::vector<Span> out;
  for (const Span& s : spans) {
    if (!out.empty() && s.from <= out.back().to)
      out.back().to = std::max(out.back().to, s.to);
    else
      out.push_back(s);
  }
  return out;
}

}  // namespace

void aggregator::add_span(worker_record& w, const std::string& worker_id, std::uint64_t requests) {
  const green::time_point now = clock_->now();
  if (!w.covered_until) {
    const auto commanded = commanded_at_.find(worker_id);
    w.covered_until = commanded == commanded_at_.end() ? started_ : commanded->second;
  }
  if (*w.covered_until < now)
    interval_spans_.push_back(
        {*w.covered_until, now, requests, std::hash<std::string>{}(worker_id)});
  w.covered_until = std::max(*w.covered_until, now);
  live_seconds_.reset();
}

void aggregator::skip_span(worker_record& w) {
  // Of requests from before the latest reset: received (none lost), in no count, nor is its
  // time. The worker's next report covers the time from here.
  const green::time_point now = clock_->now();
  w.covered_until = w.covered_until ? std::max(*w.covered_until, now) : now;
}

void aggregator::tick(double elapsed_s, int users) {
  flush_rows();
  window_.push_back(std::move(interval_));
  interval_ = per_second_table();
  interval_spans ended;
  ended.spans = std::exchange(interval_spans_, {});
  ended.covered = union_of(ended.spans);
  window_spans_.push_back(std::move(ended));
  window_starts_.push_back(std::exchange(interval_began_, clock_->now()));
  while (window_.size() > window_intervals) {
    window_.pop_front();
    window_spans_.pop_front();
    window_starts_.pop_front();
  }
  window_seconds_ = window_seconds_from(window_starts_.front(), {});
  live_seconds_ = window_seconds_;
  history_row row;
  row.elapsed_s = elapsed_s;
  row.unix_time = static_cast<std::int64_t>(std::time(nullptr));
  row.users = users;
  stats::request_stats window;
  for (const auto& t : window_) window.merge(t.total());
  // As current_rates(), from the window's totals merged above.
  const double seconds = window_seconds_;
  const bool rates = seconds >= min_rate_seconds;
  row.rps = rates ? static_cast<double>(window.requests) / seconds : 0;
  row.fails_per_s = rates ? static_cast<double>(window.failures) / seconds : 0;
  row.window = history_window::of(window);
  row.total = history_totals::of(totals_.total());
  history_.add(std::move(row));
}

double aggregator::window_seconds_from(green::time_point start,
                                       const std::vector<span>& current) const {
  // The end: the earliest of the last reports of the workers that reported in the latest
  // interval that had reports, or in the current one. Past it, some of them have sent nothing
  // yet; a worker that did not report then (it left, or its report is late) ends where it ended.
  std::unordered_map<std::size_t, green::time_point> last;
  for (const span& s : current) last[s.worker] = std::max(last[s.worker], s.to);
  for (auto it = window_spans_.rbegin(); it != window_spans_.rend(); ++it) {
    if (it->spans.empty()) continue;
    for (const span& s : it->spans) last[s.worker] = std::max(last[s.worker], s.to);
    break;
  }
  green::time_point end = green::time_point::max();
  for (const auto& [worker, at] : last) end = std::min(end, at);
  if (end <= start) end = green::time_point::max();
  std::vector<span> covered;
  double requests = 0, within = 0;
  const auto count = [&](const span& s) {
    // Requests spread evenly over their report's span, as far as the master can tell.
    const auto requests_here = static_cast<double>(s.requests);
    requests += requests_here;
    const auto from = std::max(s.from, start), to = std::min(s.to, end);
    if (from >= to) return;
    within += requests_here * std::chrono::duration<double>(to - from).count() /
              std::chrono::duration<double>(s.to - s.from).count();
  };
  const auto cover = [&](const span& s) {
    const auto from = std::max(s.from, start), to = std::min(s.to, end);
    if (from < to) covered.push_back({from, to});
  };
  for (const auto& interval : window_spans_) {
    for (const span& s : interval.spans) count(s);
    for (const span& s : interval.covered) cover(s);
  }
  for (const span& s : current) {
    count(s);
    cover(s);
  }
  green::duration time{};
  for (const span& s : union_of(std::move(covered))) time += s.to - s.from;
  const double seconds = std::chrono::duration<double>(time).count();
  // The window's requests, all of them counted by the rates, over the time that makes their
  // part within the rate it was.
  return within > 0 ? seconds * requests / within : seconds;
}

double aggregator::window_seconds() const {
  if (!live_seconds_)
    live_seconds_ = window_seconds_from(
        window_starts_.empty() ? interval_began_ : window_starts_.front(), interval_spans_);
  return *live_seconds_;
}

void aggregator::reset_stats() {
  ++stats_resets_;
  totals_ = stats::stats_table{};
  totals_.cap_names(max_names_);
  interval_ = per_second_table();
  window_.clear();
  interval_spans_.clear();
  window_spans_.clear();
  window_starts_.clear();
  interval_began_ = clock_->now();
  window_seconds_ = 0;
  live_seconds_.reset();
  exceptions_.clear();
  for (const std::uint32_t index : touched_) {
    rows_[index].interval.clear();
    rows_[index].touched = false;
  }
  touched_.clear();
  ++totals_generation_;
}

stats::request_stats aggregator::current_window(const stats::request_key& key) const {
  flush_rows();
  stats::request_stats out;
  const auto add = [&](const stats::stats_table& t) {
    if (auto it = t.entries().find(key); it != t.entries().end()) out.merge(it->second);
  };
  for (const auto& t : window_) add(t);
  add(interval_);
  return out;
}

std::pair<double, double> aggregator::current_rates(const stats::request_key* key) const {
  // The window's ticked intervals and the reports merged since the last tick: a reader between
  // ticks sees every report that has come. A rate read only from the ticked intervals trailed
  // by a report: a worker's report that landed just after the first tick (its first second)
  // left the window to its report at the ramp's end, 40 ms in, and read 249 req/s against a
  // steady 386 for a whole second.
  flush_rows();
  const double seconds = window_seconds();
  if (seconds < min_rate_seconds) return {0, 0};
  double req = 0, fail = 0;
  const auto add = [&](const stats::stats_table& t) {
    if (key == nullptr) {
      const auto total = t.total();
      req += static_cast<double>(total.requests);
      fail += static_cast<double>(total.failures);
    } else if (auto it = t.entries().find(*key); it != t.entries().end()) {
      req += static_cast<double>(it->second.requests);
      fail += static_cast<double>(it->second.failures);
    }
  };
  for (const auto& t : window_) add(t);
  add(interval_);
  return {req / seconds, fail / seconds};
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
  // Summed wide: each worker's count is bounded (proto), their sum over many workers is not.
  std::int64_t n = 0;
  for (const auto& [id, w] : workers_) n += w.users;
  return static_cast<int>(std::min<std::int64_t>(n, std::numeric_limits<int>::max()));
}

}  // namespace swarmlet::master
