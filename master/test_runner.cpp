#include "test_runner.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <ctime>
#include <iostream>
#include <limits>
#include <ostream>
#include <random>
#include <set>

#include "common/config/duration.hpp"
#include "common/green/errors.hpp"
#include "common/green/operations.hpp"
#include "common/http/ascii_text.hpp"
#include "common/http/client.hpp"
#include "console.hpp"
#include "distribution.hpp"
#include "load_plan.hpp"
#include "printable_text.hpp"
#include "proto/setup_data_limit.hpp"

namespace swarmlet::master {
namespace {
std::uint64_t new_run_id() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32 | rd()) | 1;  // never 0 ("no run")
}

/// The open model's users are of any class: their ids are split as one class of this name.
const std::string open_model_users;

std::map<std::string, std::uint64_t> unique_data_rows(const config::scenario& s) {
  std::map<std::string, std::uint64_t> out;
  for (const auto& u : s.users)
    if (u.data && u.data->mode == config::data_spec::order::unique)
      out[u.name] = u.data->rows.size();
  return out;
}

}  // namespace

test_runner::test_runner(std::shared_ptr<const config::scenario> scenario, runner_options options)
    : scenario_(std::move(scenario)),
      options_(options),
      run_id_(new_run_id()),
      aggregator_(run_id_, scenario_->stats.max_names),
      rows_(unique_data_rows(*scenario_)) {}

void test_runner::add_worker(proto::worker_control& worker, std::string id, int threads,
                             std::uint64_t incarnation) {
  // Either way it had stopped its users: its time away holds none.
  aggregator_.joined(id, incarnation);
  const bool new_process = new_processes_.erase(id) > 0;
  leavers_.erase(id);  // taking part again: told of resets as any worker
  for (auto& w : workers_)
    if (w.id == id) {
      // Taking part already: it said hello again because it stopped its own users.
      w.control = &worker;
      w.threads = std::max(1, threads);
      respread();
      note_worker_event(id, new_process ? "joined" : "re-registered", users_sent_to(id));
      return;
    }
  const bool was_here = with_events_.contains(id);
  workers_.push_back({&worker, id, std::max(1, threads)});
  taking_part_.insert(id);
  running_users_ += reported_users(id);
  summary_.peak_users = std::max(summary_.peak_users, users_now());  // as the history has it
  respread();
  note_worker_event(id, was_here && !new_process ? "rejoined" : "joined", users_sent_to(id));
}

void test_runner::worker_restarted(const std::string& id) {
  if (taking_part_.count(id) > 0) running_users_ -= reported_users(id);
  aggregator_.restarted(id);
  // The new process was sent nothing yet: while the test stops it never will be, and it owes
  // no final report (review: the wait held, and warned, for the replaced process's).
  last_sent_.erase(id);
  user_ids_.process_gone(id);
  rows_.process_gone(id);
  // A leaver's final report will never come from the new process: the wait must not hold for
  // it (its record is now "ID (before its restart)").
  if (finals_of_leavers_.erase(id) > 0 && stopping_) check_finals();
  leavers_.erase(id);  // gone with the process: the new one hears of resets as any worker
  note_worker_event(id, "restarted", 0);
  new_processes_.insert(id);
}

void test_runner::spawn_refused(const std::string& id) {
  if (!running_) return;
  // One that reported runs users of an earlier command: its stop still sends a final report.
  if (const auto it = aggregator_.workers().find(id);
      it != aggregator_.workers().end() && it->second.reports > 0)
    return;
  // QA: a stop waited 85 s for the final reports of workers that had dropped their commands.
  last_sent_.erase(id);
  check_finals();
}

int test_runner::users_sent_to(const std::string& id) const {
  const auto it = last_sent_.find(id);
  if (it == last_sent_.end()) return 0;
  const proto::spawn_command& c = it->second;
  if (c.arrival) return static_cast<int>(c.arrival_ids.size());
  int n = 0;
  for (const auto& [cls, users] : c.users_per_class) n += users;
  return n;
}

void test_runner::note_worker_event(const std::string& id, const std::string& event, int users) {
  if (!running_) return;  // before the start and after the end, nothing moves
  worker_event e;
  e.at_s = std::chrono::duration<double>(green::clock::now() - started_at_).count();
  e.unix_time = static_cast<std::int64_t>(std::time(nullptr));
  e.worker = id;
  if (auto it = worker_indexes_.find(id); it != worker_indexes_.end()) e.index = it->second;
  e.event = event;
  e.users_moved = users;
  arriving_.erase(id);
  with_events_.insert(id);
  // Bounded: a worker flapping for hours, or a peer saying hello as a new process 50,000
  // times, grew the master by half a gigabyte and the JSON report to 44 MB.
  if (summary_.worker_events.size() >= max_worker_events) {
    warn(
        fmt::format("more than {} worker events (joins, departures, restarts): the reports list "
                    "the first {} only",
                    max_worker_events, max_worker_events));
    return;
  }
  if (event == "joined" || event == "rejoined" || event == "re-registered")
    arriving_[id] = summary_.worker_events.size();
  summary_.worker_events.push_back(std::move(e));
}

void test_runner::respread() {
  if (!running_ || stop_begun() || workers_.empty()) return;
  std::optional<config::arrival_plan> arrival = requested_arrival_;
  if (arrival)
    arrival = arrival->after(
        std::chrono::duration_cast<std::chrono::microseconds>(green::clock::now() - requested_at_));
  command_users(requested_users_, requested_rate_, arrival);
}

void test_runner::remove_worker(const std::string& id, worker_exit why) {
  // A worker leaving while the master waits for final reports (master and workers told to stop
  // together) still sends its own: the wait goes on for it.
  if (stopping_ && why == worker_exit::left && last_sent_.contains(id))
    finals_of_leavers_.insert(id);
  if (why == worker_exit::left && last_sent_.contains(id))
    for (const auto& w : workers_)
      if (w.id == id) leavers_[id] = w.control;
  if (std::erase_if(workers_, [&](const worker_entry& w) { return w.id == id; }) > 0) {
    running_users_ -= reported_users(id);
    taking_part_.erase(id);
    // While the test stops, its users go nowhere (respread() moves none).
    const char* event = why == worker_exit::missing  ? "missing"
                        : why == worker_exit::failed ? "failed"
                                                     : "left";
    note_worker_event(id, event, stopping_ ? 0 : users_sent_to(id));
  }
  // Its users may still be alive (a missing worker stops them only when it notices): their
  // ids stay taken until it reports them gone. Its unused data rows are lost. One that could
  // not run the test started none: its ids are free at once (they held its share back).
  if (why == worker_exit::failed) {
    user_ids_.process_gone(id);
  } else {
    user_ids_.leave(id);
  }
  last_sent_.erase(id);
  respread();
  if (stopping_) check_finals();
}

bool test_runner::all_finals_in() const {
  for (const auto& w : workers_) {
    if (!last_sent_.contains(w.id)) continue;  // never given a command: it has no run to end
    auto it = aggregator_.workers().find(w.id);
    if (it == aggregator_.workers().end() || !it->second.final_received) return false;
  }
  for (const auto& id : finals_of_leavers_) {
    auto it = aggregator_.workers().find(id);
    if (it == aggregator_.workers().end() || !it->second.final_received) return false;
  }
  return true;
}

bool test_runner::awaits_final_of(const std::string& id) const {
  if (!stopping_ || !finals_of_leavers_.contains(id)) return false;
  const auto it = aggregator_.workers().find(id);
  return it == aggregator_.workers().end() || !it->second.final_received;
}

bool test_runner::leaver_went_silent(const std::string& id) {
  if (!awaits_final_of(id)) return false;
  finals_of_leavers_.erase(id);
  leavers_.erase(id);
  silent_leavers_.push_back(id);
  check_finals();
  return true;
}

void test_runner::check_finals() {
  if (all_finals_in() && !finals_in_.ready()) finals_in_.send();
}

void test_runner::warn_if_hubs_strained(const std::string& worker_id,
                                        const proto::hub_strain& hubs) {
  if (auto warning = hub_strain_.observe(worker_id, hubs)) warn(*warning);
}

void test_runner::say_worker_warning(const std::string& worker_id, std::string_view warning) {
  warn_of_worker(worker_id, fmt::format("worker {}: {}", worker_id, warning));
}

void test_runner::warn_of_worker(const std::string& worker_id, const std::string& text) {
  // A worker of this build says a handful in a test (each once a run); more is a broken or
  // hostile worker's flood (20,000 refusals of distinct commands made 265 MB of warnings, and a
  // 60 MB /api/stats: sandbox hunt), which would grow every report and the console. Only new
  // lines count: a worker restarted in the test says its warnings again.
  if (already_said(text)) return;
  // At the test's bound, say() adds the line that says the rest are not shown (once).
  if (summary_.warnings.size() >= max_warnings) {
    say(text);
    return;
  }
  std::size_t& said = warnings_said_[worker_id];
  if (said > max_warnings_per_worker) return;
  if (said < max_warnings_per_worker) {
    if (say(text)) ++said;
    return;
  }
  ++said;
  warn(fmt::format(
      "worker {} sent more than {} warnings in this test: the rest are not shown (a broken or "
      "hostile worker)",
      worker_id, max_warnings_per_worker));
}

void test_runner::warn_of_generator_limits(std::string_view method, std::string_view message,
                                           const std::string& worker_id) {
  // A worker out of file descriptors or local ports fails its own connections: the numbers are
  // the generator's limit, not the target's, and the user must hear it. Stats carry no error
  // kind: a failed request's error is "<kind>: <detail>", named by the HTTP client. A script's
  // error (sw.connect's) is "<file>:<line>: <the socket's own message>".
  static const std::string out_of_descriptors =
      std::string(http::to_string(http::error_kind::too_many_open_files)) + ": ";
  static const std::string out_of_ports =
      std::string(http::to_string(http::error_kind::no_local_port)) + ": ";
  const bool of_script = method == stats::script_error_method;
  if (message.starts_with(out_of_descriptors) ||
      (of_script && message.find(green::no_descriptor_says) != std::string_view::npos))
    warn(
        fmt::format("worker {} ran out of file descriptors: its users' connections fail (raise its "
                    "open-file limit, ulimit -n)",
                    worker_id));
  if (message.starts_with(out_of_ports) ||
      (of_script && message.find(green::no_local_port::says) != std::string_view::npos))
    warn(fmt::format(
        "worker {} ran out of local ports: its users' connections to one address fail (no port "
        "of net.ipv4.ip_local_port_range on its machine is free for another; widen the range "
        "there, or spread the users over more machines)",
        worker_id));
}

void test_runner::take_header(const std::string& worker_id, std::uint64_t run_id,
                              std::uint64_t command_id, const proto::id_ranges& live_user_ids,
                              const std::map<std::string, std::uint64_t>& data_rows_used) {
  if (run_id != run_id_) return;
  if (user_ids_.reported(worker_id, command_id, live_user_ids) && users_wait_for_ids_) respread();
  if (!rows_.empty()) {
    rows_.used(worker_id, data_rows_used);
    note_unique_data();  // the live reports show it as it goes
    if (running_ && !stop_begun()) top_up_rows();
  }
}

void test_runner::deliver(proto::stats_report report) {
  for (const auto& [key, n] : report.delta.errors())
    warn_of_generator_limits(key.method, key.message, report.worker_id);
  // A process a restart replaced took its users and its lease with it: only its stats count,
  // in its record of before the restart.
  const bool of_this_process =
      aggregator_.process_of(report.worker_id, report.incarnation) == aggregator::process::joined;
  if (of_this_process)
    take_header(report.worker_id, report.run_id, report.command_id, report.live_user_ids,
                report.data_rows_used);
  const int before = reported_users(report.worker_id);
  if (aggregator_.add(report)) {
    if (of_this_process) {
      note_users(report.worker_id, reported_users(report.worker_id) - before, report.peak_users);
      warn_if_hubs_strained(report.worker_id, report.hubs);
      for (const auto& w : report.warnings) say_worker_warning(report.worker_id, w);
    }
    if (stopping_) last_report_while_stopping_ = green::clock::now();
    judge_abort_after_report();
    end_if_rows_ran_out();
  }
  if (stopping_) check_finals();
}

aggregator::add_result test_runner::take(const proto::stats_frame& frame,
                                         const std::string* refused_why) {
  const std::string worker_id(frame.sender);
  // Another run's is refused as such (and counted), whatever its counts: not warned of as a
  // report that would overflow this run's totals.
  if (frame.run_id != run_id_) return aggregator_.add(frame);
  // Asked once: the aggregator's hot path (bench/README.md, "Session 13").
  const auto from = aggregator_.process_of(worker_id, frame.incarnation);
  // Before the header: nothing of a frame with absurd counts is trusted, its user ids and data
  // rows no more than its stats. The numbers lack it, so the reports say so.
  if (const char* count = aggregator_.overflowing_count(frame, from)) {
    if (count == aggregator::too_many_workers)
      warn(fmt::format(
          "more than {} workers sent stats in this run: the reports of those beyond them were "
          "dropped (the log names them)",
          max_counted_workers));
    else
      warn(fmt::format(
          "worker {} sent a stats report whose {} would take its count in this run past 2^48 "
          "(2^56 us for a time), or all workers' past 2^64, far beyond what a worker does (a "
          "broken or hostile worker): the report was dropped, the worker's earlier numbers stand",
          worker_id, count));
    return aggregator::add_result::overflows;
  }
  for (const auto& e : frame.errors) warn_of_generator_limits(e.method, e.message, worker_id);
  // A process a restart replaced took its users and its lease with it: only its stats count,
  // in its record of before the restart.
  const bool of_this_process = from == aggregator::process::joined;
  if (of_this_process)
    take_header(worker_id, frame.run_id, frame.command_id, frame.live_user_ids,
                frame.data_rows_used);
  int users_change = 0;
  const auto result = refused_why == nullptr ? aggregator_.add(frame, from, users_change)
                                             : aggregator_.add_refused(frame, from, users_change);
  if (result == aggregator::add_result::refused) {
    // Said where the JSON keeps it: the lost count alone does not say why (QA: every report
    // refused, the workers called missing, the JSON said nothing was lost, exit 0).
    warn(fmt::format(
        "worker {}'s stats reports were refused ({}): their requests are in no count, and "
        "counted lost (a worker of this version never sends such a report: a broken or hostile "
        "worker, or one of another build)",
        worker_id, *refused_why));
  }
  if (result == aggregator::add_result::names_full)
    warn_of_worker(
        worker_id,
        fmt::format("worker {}'s stats reports define request names past the {} MiB the master "
                    "keeps of names in a test: their requests are in no count, and counted lost "
                    "(name requests with `name:` so that ids in URLs share one)",
                    worker_id, aggregator::max_name_bytes >> 20));
  if (result == aggregator::add_result::stale) {
    warn(fmt::format(
        "worker {} sent a stats report of a process that is neither the one registered under "
        "its id nor the one its latest restart replaced, refused (its requests are in no count): "
        "a worker restarting over and over, or two processes running with --id {} (give each "
        "its own)",
        worker_id, worker_id));
  } else if (result != aggregator::add_result::rejected) {
    // Only the worker's own process speaks for its hub threads (not a stale one's report, nor
    // a repeat of a report already merged).
    if (of_this_process) {
      note_users(worker_id, users_change, frame.peak_users);
      if (result != aggregator::add_result::refused) warn_if_hubs_strained(worker_id, frame.hubs);
      // Read with the sound header, even of a report refused for its body: the worker says
      // each once, so this is the only time.
      for (const auto w : frame.warnings) say_worker_warning(worker_id, w);
    }
    if (stopping_) last_report_while_stopping_ = green::clock::now();
    judge_abort_after_report();
    end_if_rows_ran_out();
  } else {
    // Of this run, refused for its sequence number: a process numbers its reports one by one,
    // so numbers that come again are another process's under the same id.
    warn(fmt::format(
        "worker {} sent stats reports numbered as ones already merged (or far ahead of them), "
        "refused: are two processes running with --id {}? Give each its own",
        worker_id, worker_id));
  }
  if (stopping_) check_finals();
  return result;
}

int test_runner::reported_users(const std::string& id) const {
  const auto it = aggregator_.workers().find(id);
  return it == aggregator_.workers().end() ? 0 : it->second.users;
}

void test_runner::note_users(const std::string& id, int change, int peak) {
  // Only the workers taking part count: a missing worker's last count is spread over the
  // others. (A sum kept up to date: adding up every worker at every report costs a master of
  // many workers more than the reports themselves.)
  if (taking_part_.count(id) > 0) {
    running_users_ += change;
    // Its peak beside the others' users now: approximate over many workers (their tops need
    // not coincide), exact for one, and a top between two reports still counts.
    const std::int64_t at_its_peak = running_users_ - reported_users(id) + peak;
    summary_.peak_users =
        std::max(summary_.peak_users, static_cast<int>(std::clamp<std::int64_t>(
                                          at_its_peak, 0, std::numeric_limits<int>::max())));
  }
  summary_.peak_users = std::max(summary_.peak_users, users_now());
}

int test_runner::users_now() const noexcept {
  return static_cast<int>(
      std::clamp<std::int64_t>(running_users_, 0, std::numeric_limits<int>::max()));
}

test_runner::change_result test_runner::change_users(int users, double spawn_rate) {
  if (phase_ == phase::ready || phase_ == phase::stopped) return change_result::not_running;
  // A command after the stop started users that nothing stopped: the load went on after the
  // test said "stopped" (sandbox hunt). The phase is stopping until the final reports came and
  // teardown() ran.
  if (phase_ == phase::stopping || stop_begun()) return change_result::stopping;
  // setup() runs in the phase running with no user started: "no test is running" was false, and
  // a change now would be lost to the start's own count.
  if (!running_) return change_result::setting_up;
  if (scenario_->load.arrival) return change_result::open_model;
  command_users(users, spawn_rate);
  return change_result::changed;
}

void test_runner::request_stop() {
  if (!stop_requested_.ready()) stop_requested_.send();
  if (main_script_) main_script_->cancel();  // a setup or teardown in progress ends now
}

void test_runner::stop_now() {
  stop_now_ = true;
  request_stop();
  if (!finals_in_.ready()) finals_in_.send();  // wakes a wait for final reports in progress
}

bool test_runner::run_setup() {
  if (scenario_->main_script.empty()) return true;
  print(fmt::format("swarmlet: running setup() of {}\n", scenario_->main_script));
  script::engine_options eo;
  eo.heap_limit = scenario_->scripting.heap_limit;
  eo.run_limit =
      std::chrono::duration_cast<std::chrono::milliseconds>(scenario_->scripting.run_limit);
  script::main_script_settings ms;
  ms.target = scenario_->target;
  ms.client.connect_timeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(scenario_->http.connect_timeout);
  ms.client.read_timeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(scenario_->http.timeout);
  ms.client.verify_tls = scenario_->http.verify_tls;
  ms.client.max_redirects = scenario_->http.max_redirects;
  ms.client.server_name = scenario_->http.server_name;
  // setup() and teardown() reach servers as the users do: with the scenario's TLS files.
  auto shipped = [this](const std::string& name) {
    auto it = scenario_->files.find(name);
    return name.empty() || it == scenario_->files.end() ? std::string() : it->second;
  };
  ms.client.ca_pem = shipped(scenario_->http.ca_file);
  ms.client.client_cert_pem = shipped(scenario_->http.client_cert);
  ms.client.client_key_pem = shipped(scenario_->http.client_key);
  try {
    ms.tls = http::make_tls_context(ms.client);
  } catch (const green::tls_error&) {
    ms.tls = nullptr;  // checked when the scenario was loaded; each https request says why
  }
  ms.setup_timeout = scenario_->scripting.setup_timeout;
  ms.teardown_timeout = scenario_->scripting.teardown_timeout;
  ms.worker_count = std::max<int>(1, static_cast<int>(workers_.size()));
  try {
    main_script_ =
        std::make_unique<script::main_script>(scenario_->scripts, scenario_->main_script, eo, ms);
    setup_data_ = main_script_->setup();
    // Checked here, before any user starts, as the workers check it: a value they refuse came
    // with a spawn command they dropped, and no user ran anywhere (QA: at 20 MB).
    if (auto problem = proto::setup_data_problem(setup_data_))
      throw script::script_error(scenario_->main_script +
                                 ": setup() returned what the workers cannot take: " + *problem);
  } catch (const script::script_error& e) {
    summary_.setup_error = e.what();
    aggregator_.add_exception("master", e.what(), "setup() of " + scenario_->main_script);
  }
  if (main_script_) aggregator_.add_local(main_script_->take_stats(script::setup_type));
  if (summary_.setup_error.empty()) return true;
  main_script_.reset();  // no teardown after a failed setup (as k6)
  std::cerr << "swarmlet: " << summary_.setup_error
            << "\nswarmlet: setup() failed: the test did not start\n"
            << std::flush;
  return false;
}

void test_runner::run_teardown() {
  if (!main_script_ || !main_script_->has_teardown()) return;
  print(fmt::format("swarmlet: running teardown() of {}\n", scenario_->main_script));
  try {
    main_script_->teardown();
  } catch (const script::script_error& e) {
    warn(fmt::format("teardown() failed: {}", e.what()));
    // As a user's script error is: a LUA failure row and an exception, one each.
    aggregator_.add_exception("master", e.what(), "teardown() of " + scenario_->main_script);
  }
  aggregator_.add_local(main_script_->take_stats(script::teardown_type));
}

run_summary test_runner::summary_now() const {
  run_summary s = summary_;
  if (running_) {
    s.duration_s = std::chrono::duration<double>(green::clock::now() - started_at_).count();
    s.counted_s = counted_seconds();
  }
  return s;
}

double test_runner::counted_seconds() const {
  // Hunt: divided by the clock's seconds, `rps > 150` with abort_on_fail and a 2 s delay saw
  // 96/s in a test making 189/s (3/s at 1 s), and stopped it. The totals hold each worker's
  // requests up to where its reports reached: the mean of those times is what they cover when
  // the workers run alike (review: the earliest of them, right after a reset, was 2 ms against
  // another worker's 0.9 s, and read 450x high). A worker not reported yet holds nothing of
  // the totals and is left out; one that has ended counts to the end of the run.
  const green::time_point now = green::clock::now();
  double sum = 0;
  int workers = 0;
  for (const auto& w : workers_) {
    const auto it = aggregator_.workers().find(w.id);
    if (it == aggregator_.workers().end() || it->second.final_received || !it->second.covered_until)
      continue;
    const green::time_point until = std::clamp(*it->second.covered_until, counted_since_, now);
    sum += std::chrono::duration<double>(until - counted_since_).count();
    ++workers;
  }
  if (workers == 0) return std::chrono::duration<double>(now - counted_since_).count();
  return sum / workers;
}

void test_runner::reset_stats() {
  aggregator_.reset_stats();
  // The workers report what came before at once, so that their next reports hold none of it
  // (a report of up to an interval of requests from before the reset counted after it).
  if (running_) {
    for (auto& w : workers_) w.control->reset_stats(run_id_, aggregator_.stats_resets());
    // A worker that said goodbye still drains its users for its final report: told too, so
    // that the report holds only what came after the reset, and counts (untold, it numbered
    // that report with the resets before, and the master counted none of it).
    std::erase_if(leavers_, [&](const auto& leaver) {
      const auto it = aggregator_.workers().find(leaver.first);
      return it != aggregator_.workers().end() && it->second.final_received;
    });
    for (const auto& [id, control] : leavers_)
      control->reset_stats(run_id_, aggregator_.stats_resets());
  }
  counted_since_ = green::clock::now();
  if (!running_) summary_.counted_s = 0;  // a finished test's totals are gone: no rate
}

void test_runner::print(const std::string& text) {
  if (options_.console != nullptr) *options_.console << text << std::flush;
}

void test_runner::say_verdict(const std::string& text) {
  if (std::ostream* out = options_.console != nullptr ? options_.console : options_.verdicts)
    *out << text << std::flush;
}

void test_runner::warn(const std::string& text) {
  say(text);
}

bool test_runner::already_said(const std::string& text) const {
  return std::find(summary_.warnings.begin(), summary_.warnings.end(), text) !=
         summary_.warnings.end();
}

bool test_runner::say(const std::string& text) {
  if (already_said(text)) return false;
  if (summary_.warnings.size() >= max_warnings) {
    // The one line past the bound: what is not shown is said, not silently dropped.
    if (summary_.warnings.size() == max_warnings)
      summary_.warnings.push_back(
          fmt::format("more than {} warnings in this test: the rest are not shown", max_warnings));
    return false;
  }
  summary_.warnings.push_back(text);
  // A quiet console (-q) drops the tables, not what the numbers need said.
  std::ostream& out = options_.console != nullptr ? *options_.console : std::cerr;
  out << "swarmlet: WARNING: " << printable(text) << "\n" << std::flush;
  return true;
}

void test_runner::check_name_cap() {
  if (aggregator_.folded_requests() == 0) return;
  // Folded by the workers alone (a report carries at most so many names): the cap was not
  // reached here, and saying it was would point at stats.max_names for nothing.
  if (aggregator_.totals().entries().size() < aggregator_.max_names())
    return warn(fmt::format(
        "more than {} request names in one worker's report: the rest of its names are counted "
        "as \"{}\" (name requests with `name:`)",
        stats::stats_table::max_report_rows, stats::stats_table::other_names));
  warn(fmt::format(
      "more than {} request names: the rest are counted as \"{}\" (name requests with `name:`, "
      "or raise stats.max_names)",
      aggregator_.max_names(), stats::stats_table::other_names));
}

void test_runner::command_users(int users, double spawn_rate,
                                std::optional<config::arrival_plan> arrival) {
  // Users asked for anew are no worker's arrival: the joined events stop counting them.
  if (users != requested_users_) arriving_.clear();
  requested_users_ = users;
  requested_rate_ = spawn_rate;
  requested_arrival_ = arrival;
  requested_at_ = green::clock::now();
  if (workers_.empty()) return;
  std::map<std::string, int> per_class;
  if (arrival) {
    per_class[open_model_users] = arrival->max_users;
  } else {
    std::vector<std::pair<std::string, int>> classes;
    for (const auto& u : scenario_->users) classes.emplace_back(u.name, u.weight);
    per_class = users_per_class(users, classes);
  }
  std::vector<worker_weight> weights;
  std::vector<std::string> ids;
  int all_threads = 0;
  for (const auto& w : workers_) {
    weights.push_back({w.id, w.threads});
    ids.push_back(w.id);
    all_threads += w.threads;
  }
  // `${user_id}` stays within 1..N (sequential data rows are row k-1 of user k): a user who
  // needs an id still held by a user being stopped waits for that one's end, not one above N.
  // Ids of workers that left may never be reported gone: those are made up for above N.
  std::uint64_t asked = 0;
  for (const auto& [cls, n] : per_class) asked += static_cast<std::uint64_t>(std::max(0, n));
  auto assignment =
      assign_user_ids(user_ids_.assignments(), per_class, weights, user_ids_.unavailable(),
                      asked + user_ids_.unavailable_elsewhere().size());
  std::uint64_t given = 0;
  for (const auto& [worker, classes] : assignment)
    for (const auto& [cls, set] : classes) given += set.size();
  users_wait_for_ids_ = given < asked;
  // The open model's rates go to the workers given ids: one given none (its ids are held by
  // users still stopping) runs nothing for now, rather than a plan whose users it would number
  // itself, from 1.
  // Places among the arrivals, by hub threads, but no more than a worker has users to run
  // them: two threads with one user got half the rate for it.
  const auto places_of = [&](const worker_entry& w) {
    return static_cast<int>(std::min<std::uint64_t>(static_cast<std::uint64_t>(w.threads),
                                                    assignment[w.id][open_model_users].size()));
  };
  int arrival_threads = 0;
  if (arrival)
    for (const auto& w : workers_) arrival_threads += places_of(w);
  // Every plan sent anew is numbered anew, though equal to the one before (see spawn_command).
  const std::uint64_t plan_id = arrival ? ++arrival_plans_ : 0;
  worker_indexes_ = assign_worker_indexes(worker_indexes_, ids);
  int arrival_threads_before = 0;  // of the workers given rates before this one
  // The closed model's ramp is the test's: its changes (users to start or stop, from those
  // the workers last reported running) come at the rate, the workers' in turn (as Locust's master
  // hands users out). Each worker ramps at the rate's share of its changes, after the share of its
  // own interval that the workers before it hold (QA: 4 workers at 0.5 users/s started 4 users at
  // once, where one process starts 1 each 2 s). Shares by hub threads instead put the one
  // user of a slow ramp minutes late on the fourth worker.
  std::map<std::string, std::uint64_t> changes_of;
  std::uint64_t changes = 0, changes_before = 0;
  if (!arrival)
    for (const auto& w : workers_) {
      std::uint64_t target = 0;
      for (const auto& [cls, set] : assignment[w.id]) target += set.size();
      // Of the users it runs, as its last report says: one mid-ramp has users still to start
      // that its last target held (review: counted from that target, a ramp ended late).
      const auto now = static_cast<std::uint64_t>(std::max(0, reported_users(w.id)));
      changes += changes_of[w.id] = target > now ? target - now : now - target;
    }
  for (auto& w : workers_) {
    proto::spawn_command c;
    c.run_id = run_id_;
    c.command_id = ++last_command_;
    aggregator_.commanded(w.id, c.command_id);
    c.spawn_rate = spawn_rate * w.threads / all_threads;  // no changes in count: by threads
    if (const std::uint64_t mine = changes_of[w.id]; mine > 0) {
      c.spawn_rate = spawn_rate * static_cast<double>(mine) / static_cast<double>(changes);
      c.spawn_delay_s = std::min(
          static_cast<double>(changes_before) / static_cast<double>(mine) / spawn_rate, 1e6);
      changes_before += mine;
    }
    c.worker_index = worker_indexes_.at(w.id);
    c.worker_count = static_cast<int>(workers_.size());
    c.setup_data = setup_data_;
    c.stats_resets = aggregator_.stats_resets();
    class_ids& mine = assignment[w.id];
    if (arrival) {
      // The open model: the whole plan, with the worker's places among all (its hub threads,
      // at most one per id given); the user budget split by the ids given.
      c.arrival_ids = mine[open_model_users];
      if (!c.arrival_ids.empty()) {
        c.arrival = *arrival;
        c.arrival_plan_id = plan_id;
        c.arrival->max_users = static_cast<int>(c.arrival_ids.size());
        c.arrival_first_thread = arrival_threads_before;
        c.arrival_threads = arrival_threads;
        arrival_threads_before += places_of(w);
      }
    } else {
      for (const auto& u : scenario_->users) {
        auto it = mine.find(u.name);
        c.users_per_class[u.name] = it == mine.end() ? 0 : static_cast<int>(it->second.size());
        if (it != mine.end() && !it->second.empty()) c.user_ids[u.name] = it->second;
      }
    }
    std::erase_if(mine, [](const auto& e) { return e.second.empty(); });
    user_ids_.assign(w.id, c.command_id, std::move(mine));
    if (!rows_.empty()) {
      rows_.top_up(w.id, static_cast<int>(workers_.size()), classes_run(c));
      c.data_rows = rows_.lease_of(w.id);
    }
    last_sent_[w.id] = c;
    w.control->spawn(c);
    // Its users come as the other workers' users hand their ids over, a command or more
    // after its joined event: the event counts them as they come.
    if (auto it = arriving_.find(w.id);
        it != arriving_.end() && it->second < summary_.worker_events.size()) {
      int& moved = summary_.worker_events[it->second].users_moved;
      moved = std::max(moved, users_sent_to(w.id));
    }
  }
}

void test_runner::note_unique_data() {
  summary_.unique_data.clear();
  for (const auto& [cls, u] : rows_.usage_per_class()) {
    data_usage d;
    d.user_class = cls;
    for (const auto& spec : scenario_->users)
      if (spec.name == cls && spec.data) d.file = spec.data->file;
    d.rows = u.rows;
    d.used = u.used;
    summary_.unique_data.push_back(std::move(d));
  }
}

std::set<std::string> test_runner::classes_run(const proto::spawn_command& c) const {
  std::set<std::string> out;
  for (const auto& u : scenario_->users) {
    const auto it = c.users_per_class.find(u.name);
    if (c.arrival || (it != c.users_per_class.end() && it->second > 0)) out.insert(u.name);
  }
  return out;
}

void test_runner::top_up_rows() {
  for (auto& w : workers_) {
    auto last = last_sent_.find(w.id);
    if (last == last_sent_.end()) continue;
    if (!rows_.top_up(w.id, static_cast<int>(workers_.size()), classes_run(last->second))) continue;
    // The same target with a longer lease: the worker goes on as it was (no new ramp).
    proto::spawn_command c = last->second;
    c.command_id = ++last_command_;
    c.data_rows = rows_.lease_of(w.id);
    c.stats_resets = aggregator_.stats_resets();
    aggregator_.commanded(w.id, c.command_id);
    class_ids same;
    if (auto it = user_ids_.assignments().find(w.id); it != user_ids_.assignments().end())
      same = it->second;
    user_ids_.assign(w.id, c.command_id, std::move(same));
    last->second = c;
    w.control->spawn(c);
  }
}

bool test_runner::judge_abort_thresholds(double seconds) {
  const double counted = counted_seconds();
  for (const auto& t : scenario_->thresholds) {
    const auto broken = t.breaks_live(aggregator_.totals(), seconds, counted);
    if (!broken) continue;
    summary_.aborted =
        test_abort{t.text, seconds, broken->observed, t.observed_text(broken->observed)};
    say_verdict(fmt::format(
        "swarmlet: threshold broken {:.1f} s into the test: {} (observed {}); abort_on_fail: "
        "stopping the test\n",
        seconds, t.text, summary_.aborted->observed_text));
    return true;
  }
  return false;
}

void test_runner::end_if_rows_ran_out() {
  if (!ends_when_rows_run_out_ || !running_ || stopping_ || stop_requested_.ready() ||
      running_users_ > 0)
    return;
  // What each live worker runs now: rows held by one whose users of a class were all moved
  // away or stopped (a lower user count) are not used while it runs none, so they must not
  // keep a test whose users all stopped idling until its run time (or for ever; hunt). Unless
  // the test asks for no user now (a stage of 0 users, /api/swarm): its users stopped because
  // they were asked to, and the rows wait for the users asked for next.
  const bool users_asked = requested_arrival_ || requested_users_ > 0;
  std::set<std::string> every_class;
  for (const auto& u : scenario_->users) every_class.insert(u.name);
  std::map<std::string, std::set<std::string>> runs;
  for (const auto& w : workers_) {
    const auto last = last_sent_.find(w.id);
    runs[w.id] = !users_asked               ? every_class
                 : last == last_sent_.end() ? std::set<std::string>{}
                                            : classes_run(last->second);
  }
  if (!rows_.all_used(runs)) return;
  // Every class takes unique rows and none is left: users made now would stop at once, so the
  // test would idle until its run time and its rates would divide by that (k6's shared
  // iterations end here too).
  const bool stranded = std::any_of(summary_.unique_data.begin(), summary_.unique_data.end(),
                                    [](const data_usage& d) { return d.used < d.rows; });
  print(stranded ? "swarmlet: no unique data row is left to any user (the unused ones went with "
                   "workers that left, or are held by workers that run none of their class's "
                   "users) and every user has stopped: the test ends\n"
                 : "swarmlet: every unique data row was used and every user has stopped: the test "
                   "ends\n");
  stop_requested_.send();
}

void test_runner::judge_abort_after_report() {
  if (!aborts_on_fail_ || !running_ || stopping_ || stop_requested_.ready() || summary_.aborted)
    return;
  const auto now = green::clock::now();
  if (now - abort_judged_at_ < std::chrono::milliseconds(100)) return;
  abort_judged_at_ = now;
  if (judge_abort_thresholds(std::chrono::duration<double>(now - started_at_).count()))
    stop_requested_.send();  // the run's loop stops the test
}

template <class Write>
void test_runner::write_live(Write write) {
  if (!live_) return;
  try {
    write();
  } catch (const std::exception& e) {
    warn(fmt::format("{}; the reports will be written at the end only", e.what()));
    live_.reset();
  }
}

int test_runner::run() {
  const load_plan plan = plan_load(scenario_->load);
  aborts_on_fail_ = std::any_of(scenario_->thresholds.begin(), scenario_->thresholds.end(),
                                [](const auto& t) { return t.abort_on_fail; });
  ends_when_rows_run_out_ =
      !rows_.empty() && std::all_of(scenario_->users.begin(), scenario_->users.end(),
                                    [&](const auto& u) { return rows_.has(u.name); });
  phase_ = phase::running;
  summary_.scenario_file = scenario_->file;
  summary_.scenario_posted = scenario_->posted;
  summary_.target = scenario_->target;
  summary_.started_unix = static_cast<std::int64_t>(std::time(nullptr));
  note_unique_data();  // none used yet, of how many
  // setup() comes before the test's clock starts: the run time is the users'.
  if (!run_setup()) {
    phase_ = phase::stopped;
    aggregator_.tick(0, 0);
    summary_.failures_fail = options_.failures_fail;
    summary_.complete = true;
    print("\n" + format_stats_table(aggregator_, 0.0) + "\n");
    return 1;
  }
  const auto start = green::clock::now();
  started_at_ = counted_since_ = start;
  try {
    live_.emplace(scenario_->report, options_.reports);
  } catch (const std::exception& e) {
    warn(fmt::format("{}; the reports will be written at the end only", e.what()));
  }
  const auto& first = plan.steps.front();
  const std::string shape = first.arrival
                                ? fmt::format("{:g} iterations/s (open model, at most {} users)",
                                              first.arrival->rate, first.arrival->max_users)
                                : fmt::format("{} users at {:g}/s", first.users, first.spawn_rate);
  print(fmt::format(
      "swarmlet: {} against {}{}\n", shape, scenario_->target,
      plan.end ? " for " + config::format_duration(*plan.end) : std::string(" until stopped")));

  auto elapsed = [&] { return green::clock::now() - start; };
  running_ = true;
  std::size_t next_step = 0;
  auto next_tick = start + options_.tick_interval;
  auto next_print = start + options_.console_interval;
  // time_point::max(): no end (an optional here drew a false maybe-uninitialized from GCC 12).
  const green::time_point end_at = plan.end ? start + *plan.end : green::time_point::max();
  while (!stop_requested_.ready()) {
    const auto now = green::clock::now();
    // Steps due go out first: a run time shorter than the loop's first turn still starts the
    // workers, whose stop then answers with a final report.
    while (next_step < plan.steps.size() && start + plan.steps[next_step].at <= now) {
      const auto& step = plan.steps[next_step];
      command_users(step.users, step.spawn_rate, step.arrival);
      ++next_step;
    }
    if (now >= end_at) break;
    if (now >= next_tick) {
      const double seconds = std::chrono::duration<double>(elapsed()).count();
      aggregator_.tick(seconds, users_now());
      check_name_cap();
      write_live([&] { live_->tick(aggregator_, summary_now(), elapsed()); });
      next_tick += options_.tick_interval;
      if (judge_abort_thresholds(seconds)) break;
    }
    if (options_.console_interval.count() > 0 && now >= next_print) {
      print(format_stats_table(aggregator_) + "\n");
      next_print += options_.console_interval;
    }
    auto wake = next_tick;
    if (options_.console_interval.count() > 0) wake = std::min(wake, next_print);
    if (next_step < plan.steps.size()) wake = std::min(wake, start + plan.steps[next_step].at);
    wake = std::min(wake, end_at);
    stop_requested_.wait_for(std::max(green::duration::zero(), wake - green::clock::now()));
  }
  const auto stopped_at = green::clock::now();

  // Stop, then wait (bounded) for every worker's final report before the final numbers.
  print("swarmlet: stopping, waiting for the workers' final reports\n");
  stopping_ = true;
  phase_ = phase::stopping;
  for (auto& w : workers_) w.control->stop(run_id_);
  check_finals();
  if (!stop_now_) finals_in_.wait_for(scenario_->stop_drain() + options_.final_report_timeout);
  // A warning (not a console line): -q keeps it, and the JSON report's warnings carry it.
  if (!all_finals_in() || !silent_leavers_.empty()) {
    std::string silent;
    if (!silent_leavers_.empty())
      silent = fmt::format(" ({} left and went silent before sending it)",
                           fmt::join(silent_leavers_, ", "));
    warn("not every worker sent its final report" + silent +
         "; the numbers lack their last interval");
  }
  // The requests users finished after the stop count, so the time they took does too: 10 users
  // each ending one 2 s request in a 1 s test made 10 in 2 s, not 10 per second. Not the wait
  // for a worker that never answered: nothing of it counts.
  const auto ended = std::max(stopped_at, last_report_while_stopping_);
  summary_.duration_s = std::chrono::duration<double>(ended - start).count();
  // A reset while the users drained counts from then: no negative time.
  summary_.counted_s =
      std::chrono::duration<double>(std::max(ended, counted_since_) - counted_since_).count();
  run_teardown();
  running_ = false;
  phase_ = phase::stopped;
  aggregator_.tick(summary_.duration_s, 0);
  check_name_cap();
  write_live([&] { live_->finish(aggregator_); });
  live_.reset();

  bool abort_marked = false;
  const bool names_folded = aggregator_.folded_requests() > 0;
  for (const auto& t : scenario_->thresholds) {
    const auto verdict = t.judge(aggregator_.totals(), summary_.counted_s);
    std::string note;
    if (verdict.nothing_judged)
      note = !t.name.empty() && names_folded
                 ? fmt::format(
                       "no request was judged: '{}' may be one of the names counted as "
                       "{} past stats.max_names",
                       t.name, stats::stats_table::other_names)
                 : "no request was judged";
    threshold_result r{t.text, verdict.observed, t.observed_text(verdict.observed), verdict.passed,
                       note};
    r.abort_on_fail = t.abort_on_fail;
    // The one that stopped the test failed, whatever the last interval brought.
    if (summary_.aborted && summary_.aborted->threshold == t.text && !abort_marked) {
      abort_marked = r.aborted_test = true;
      r.passed = false;
      r.note = fmt::format("observed {} at {:.1f} s: aborted the test",
                           summary_.aborted->observed_text, summary_.aborted->at_s);
    }
    summary_.thresholds.push_back(std::move(r));
  }

  note_unique_data();
  // A worker still missing at the end never sent its last numbers: lost for good.
  std::map<std::string, const worker_event*> latest;
  for (const auto& e : summary_.worker_events) latest[e.worker] = &e;
  std::vector<worker_event> lost;
  const auto& records = aggregator_.workers();
  for (const auto& [id, e] : latest)
    if (e->event == "missing") {
      // Its final report came after all (its control plane cut, its stats plane not): nothing
      // is lost, and "never came back" was false of a worker counted whole (hunt).
      if (const auto r = records.find(id); r != records.end() && r->second.final_received) continue;
      worker_event l = *e;
      // Not before it went missing: that may be during the wait for final reports, after
      // the time the numbers count (QA: "missing" at 5.8 s, then "lost" at 3.0 s).
      l.at_s = std::max(summary_.duration_s, e->at_s);
      l.unix_time = static_cast<std::int64_t>(std::time(nullptr));
      l.event = "lost";
      l.users_moved = 0;
      lost.push_back(std::move(l));
    }
  // Said where -q and the JSON report keep it (QA: after a kill -9, only the console's worker
  // events told of it; the JSON said nothing was lost).
  if (!lost.empty()) {
    std::vector<std::string> ids;
    for (const auto& l : lost) ids.push_back(l.worker);
    warn(fmt::format(
        "{} went missing and never came back: the requests since {} last report are in no "
        "count, and no report says how many",
        fmt::join(ids, ", "), ids.size() == 1 ? "its" : "their"));
  }
  for (auto& l : lost) summary_.worker_events.push_back(std::move(l));
  // A process replaced under its id before its final report (killed, then restarted, as a
  // pod's container is): what it did since its last report is in no count either (hunt: 20% of
  // the requests missing, and no word of it).
  std::vector<std::string> replaced;
  const std::string before = aggregator::before_restart("");
  for (const auto& [id, r] : records)
    if (id.ends_with(before) && !r.final_received)
      replaced.push_back(id.substr(0, id.size() - before.size()));
  if (!replaced.empty())
    warn(fmt::format(
        "{} restarted under {} id before {} old process sent its final report (killed?): the "
        "requests since its last report are in no count, and no report says how many",
        fmt::join(replaced, ", "), replaced.size() == 1 ? "its" : "their",
        replaced.size() == 1 ? "its" : "their"));
  summary_.failures_fail = options_.failures_fail;
  summary_.failed_requests = aggregator_.totals().total().failures;
  summary_.script_errors = aggregator_.totals().script_errors().failures;
  // With thresholds, they decide; those on requests judge no script error (a script failing
  // every other task passes "fail_ratio < 0.01"): said of those no threshold judges (one on
  // a task's errors judges no other task's).
  const auto judged = [this](const stats::request_key& row) {
    return std::any_of(
        scenario_->thresholds.begin(), scenario_->thresholds.end(),
        [&row](const config::threshold& t) {
          return (t.what == config::threshold::metric::script_errors && t.name.empty()) ||
                 (t.name == row.name &&
                  (t.what == config::threshold::metric::script_errors ||
                   http::equals_ignoring_case(t.method, stats::script_error_method)));
        });
  };
  std::uint64_t unjudged = 0;
  if (!scenario_->thresholds.empty())
    for (const auto& [key, s] : aggregator_.totals().entries())
      if (stats::stats_table::is_script_error(key) && !judged(key)) unjudged += s.failures;
  if (unjudged > 0)
    warn(
        fmt::format("{} script error{}: they are not requests, so no threshold judged them (add "
                    "\"script_errors == 0\" to fail the test on them)",
                    unjudged, unjudged == 1 ? "" : "s"));
  summary_.complete = true;

  print("\n" + format_stats_table(aggregator_, summary_.counted_s) + "\n" +
        format_percentiles_table(aggregator_.totals()) + "\n");
  const auto usage = rows_.usage_per_class();
  const bool rows_ran_out = std::any_of(
      usage.begin(), usage.end(), [](const auto& c) { return c.second.leased >= c.second.rows; });
  if (auto open = format_open_model(aggregator_.totals(), rows_ran_out); !open.empty())
    print(open + "\n");
  if (auto errors = format_errors_table(aggregator_.totals()); !errors.empty())
    print(errors + "\n");
  for (const auto& d : summary_.unique_data)
    print(fmt::format("data {} (user {}, order: unique): {} of {} rows used\n", d.file,
                      d.user_class, d.used, d.rows));
  if (!summary_.worker_events.empty()) print(format_worker_events(summary_.worker_events) + "\n");
  if (aggregator_.lost_reports() > 0)
    warn(fmt::format("{} stats reports were lost, holding {} requests that the totals lack",
                     aggregator_.lost_reports(), aggregator_.lost_requests()));
  for (const auto& t : summary_.thresholds)
    say_verdict(fmt::format("threshold {}: {} ({})\n", t.passed ? "passed" : "FAILED", t.text,
                            t.note.empty() ? "observed " + t.observed_text : t.note));
  return summary_.passed() ? 0 : 1;
}

}  // namespace swarmlet::master
