#pragma once
// Drives one test from the master's side: follows the load plan by sending each worker its
// absolute target, merges their reports, prints the console table, writes the live reports,
// stops at the run time (or when asked), waits for every worker's final report, then evaluates
// thresholds (the final reports are the caller's to write, with what it adds to the summary).
// Lives on the master's hub; workers reach it through deliver().
#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "aggregator.hpp"
#include "common/config/arrival_plan.hpp"
#include "common/config/scenario.hpp"
#include "common/green/event.hpp"
#include "common/script/main_script.hpp"
#include "hub_strain_watch.hpp"
#include "live_reports.hpp"
#include "proto/messages.hpp"
#include "reports.hpp"
#include "row_leases.hpp"
#include "user_id_book.hpp"

namespace swarmlet::master {

struct runner_options {
  std::chrono::milliseconds console_interval{2000};  ///< 0: no periodic table
  std::chrono::milliseconds tick_interval{1000};     ///< history rows
  std::chrono::milliseconds final_report_timeout{
      std::chrono::seconds(10)};    ///< beyond the users' stop_drain (config::http_spec)
  std::ostream* console = nullptr;  ///< null: print nothing but warnings and verdicts
  /// Where threshold verdicts go when the console is null (quiet): a quiet run in CI must
  /// still say which threshold failed. Null: nowhere.
  std::ostream* verdicts = nullptr;
  live_report_options reports;  ///< the scenario's report files, written as the test goes
  /// Without thresholds, a failed request fails the test (run_summary::failures_fail).
  bool failures_fail = true;
};

class test_runner final : public proto::report_sink {
 public:
  test_runner(std::shared_ptr<const config::scenario> scenario, runner_options options);

  /// A worker that takes part, weighted by its hub threads. During a test, the users are
  /// spread again at once so it gets its share.
  /// `incarnation`: its process's (proto::hello_payload), 0 when not said.
  void add_worker(proto::worker_control& worker, std::string id, int threads,
                  std::uint64_t incarnation = 0);
  /// A new process said hello under `id` (add_worker follows): the one before is gone, with
  /// its users; its numbers stay in the reports as "ID (before its restart)".
  void worker_restarted(const std::string& id);
  /// Worker `id` refused a spawn command of the test (it could not decode it): one that has
  /// not reported in the run runs none of its users, so the stop waits for no final report of
  /// it. Warned by the caller, with the worker's reason.
  void spawn_refused(const std::string& id);
  /// Why a worker stops taking part.
  enum class worker_exit {
    missing,  ///< silent for too many beats
    left,     ///< it said goodbye
    failed,   ///< its copy of the test does not load there: it ran no user, and exits
  };
  /// A worker that is gone: its users are spread over the others (and the reports say so).
  void remove_worker(const std::string& id, worker_exit why = worker_exit::left);
  /// A worker that left while the master waited for its final report went silent (killed
  /// while its users drained): the wait no longer waits for it, and the warning names it.
  /// False, and nothing done, when its final report was not awaited.
  bool leaver_went_silent(const std::string& id);
  /// Whether the test, stopping, waits for the final report of `id`, a worker that left.
  bool awaits_final_of(const std::string& id) const;
  enum class phase { ready, running, stopping, stopped };
  /// Stopping from the moment a stop is asked for (the test's thread may not have woken yet).
  phase state() const noexcept {
    return phase_ == phase::running && stop_begun() ? phase::stopping : phase_;
  }
  /// Whether the test is between its start and its end.
  bool running() const noexcept { return running_; }
  void deliver(proto::stats_report report) override;
  /// A report of the stats plane, read in place (worker_link): as deliver(stats_report). Says
  /// how the aggregator took it: unresolved when it used name numbers its worker never defined
  /// (its requests are then counted lost); overflows when its counts would take a total past
  /// 2^64 - 1 (nothing of it counts).
  aggregator::add_result deliver(const proto::stats_frame& frame) { return take(frame, nullptr); }
  /// A report of the stats plane the master refused to read past its header, for `why` (see
  /// aggregator::add_refused): its header counts, its requests are counted lost, and the test
  /// warns of it, once per worker and reason.
  aggregator::add_result refuse(const proto::stats_frame& header, const std::string& why) {
    return take(header, &why);
  }
  /// The worker's name numbers this run's aggregate knows (for the master's heartbeats).
  std::uint32_t names_known(const std::string& worker_id) const {
    return aggregator_.names_known(worker_id);
  }

  /// Runs the test to its end; blocks the calling green thread. Returns the exit code:
  /// 0 when every threshold holds, 1 otherwise. The scenario's main.lua runs setup() first (a
  /// failure ends the test before any user starts: summary().setup_error, and 1) and
  /// teardown() once the users stopped, before the final numbers. A threshold with abort_on_fail,
  /// judged on the live totals at every tick, ends the test early when broken (see
  /// summary().aborted).
  int run();
  /// Ends the test early (Ctrl-C): stops, collects, reports, as at the run time.
  void request_stop();
  /// A second Ctrl-C: stops as request_stop() does, and a stop waiting for the workers' final
  /// reports waits no more (the report then says their last interval is missing).
  void stop_now();
  /// What change_users() did.
  enum class change_result {
    changed,
    not_running,  ///< before the test's start or after it ended
    setting_up,   ///< main.lua's setup() runs: the users start after it
    stopping,     ///< a stop was asked for: nothing more goes to the workers but the stop
    open_model,   ///< its users follow its arrival rate: no count to change
  };
  /// The closed model: moves to `users` at `spawn_rate` now (the web API's "swarm"); later
  /// stages still apply. Refused, with nothing sent, unless the test runs and no stop began.
  change_result change_users(int users, double spawn_rate);
  /// The closed model's users and spawn rate the test asks for now (the last command: the
  /// start, a stage, or change_users()); the users reported may still be ramping to them.
  int requested_users() const noexcept { return requested_users_; }
  double requested_spawn_rate() const noexcept { return requested_rate_; }

  /// Prints a warning (on the console even when quiet) and keeps it for the reports and the API
  /// (once per text, at most max_warnings, then one line saying the rest are not shown): what
  /// the user must know about the numbers or the generator.
  void warn(const std::string& text);
  /// warn() of a warning from or about worker `worker_id` (a command it refused, a warning its
  /// report carries): at most max_warnings_per_worker of one worker's in a test, then one line
  /// saying the rest of its are not shown.
  void warn_of_worker(const std::string& worker_id, const std::string& text);
  /// A test keeps this many warnings at most: each is a line of at most a few KiB (a worker's
  /// texts are bounded by proto), so a flood of them costs a few MiB, not a gigabyte.
  static constexpr std::size_t max_warnings = 1000;
  /// One worker's warnings kept in a test: twice what one report may carry
  /// (proto::stats_report::max_warnings), room for the commands it refused besides.
  static constexpr std::size_t max_warnings_per_worker = 2 * proto::stats_report::max_warnings;

  /// Locust's "reset stats" (see aggregator::reset_stats): the rates count from now on.
  void reset_stats();

  const aggregator& results() const noexcept { return aggregator_; }
  const run_summary& summary() const noexcept { return summary_; }
  /// The summary so far: while running, its duration is the time since the start.
  run_summary summary_now() const;
  const config::scenario& scenario() const noexcept { return *scenario_; }
  const std::shared_ptr<const config::scenario>& scenario_ptr() const noexcept { return scenario_; }
  std::uint64_t run_id() const noexcept { return run_id_; }
  /// The users of the workers taking part now (a missing worker's are not: they went to the
  /// others), within an int: what the history, the API and the metrics say.
  int users_now() const noexcept;
  /// The users the worker was last sent (0: none yet).
  int users_sent_to(const std::string& id) const;

 private:
  /// deliver() of a frame read whole (`refused_why` null), or refuse() of one read to its header.
  aggregator::add_result take(const proto::stats_frame& frame, const std::string* refused_why);
  struct worker_entry {
    proto::worker_control* control;
    std::string id;
    int threads;
  };
  /// Sends every worker its share: of `users` at `spawn_rate` (closed model), or of `arrival`
  /// (open model; `users` is then its max_users).
  void command_users(int users, double spawn_rate,
                     std::optional<config::arrival_plan> arrival = std::nullopt);
  /// Sends a worker whose unique data rows run low (or that must hear none are left) its last
  /// command again with its new lease.
  void top_up_rows();
  /// The unique data files' usage as the workers reported it, into the summary.
  void note_unique_data();
  /// The user classes a command has users of (every class with unique data in the open model).
  std::set<std::string> classes_run(const proto::spawn_command& c) const;
  /// Whether every worker that took part sent the final report of the stop.
  bool all_finals_in() const;
  /// Ends the wait for final reports once all are in.
  void check_finals();
  /// A report of this run says how busy `worker_id`'s hub threads were: warns when that is
  /// in its response times (see hub_strain_watch).
  void warn_if_hubs_strained(const std::string& worker_id, const proto::hub_strain& hubs);
  /// A warning a report of this run carries (stats_report::warnings), said naming the worker
  /// (once a test, as every warning; see warn_of_worker()).
  void say_worker_warning(const std::string& worker_id, std::string_view warning);
  /// warn(), telling whether `text` was said now (false: it was said before in this test).
  bool say(const std::string& text);
  bool already_said(const std::string& text) const;
  /// A report's error `message` (of requests or script errors, as `method` says): warns when it
  /// says the worker ran out of file descriptors or local ports.
  void warn_of_generator_limits(std::string_view method, std::string_view message,
                                const std::string& worker_id);
  /// What every report of this run says besides its stats: the worker's live user ids and the
  /// unique data rows it used. Not for a report of a process gone (a restart replaced it): its
  /// users and its lease went with it.
  void take_header(const std::string& worker_id, std::uint64_t run_id, std::uint64_t command_id,
                   const proto::id_ranges& live_user_ids,
                   const std::map<std::string, std::uint64_t>& data_rows_used);
  /// Notes, during the test, `event` of worker `id` that moved `users` (see worker_event).
  void note_worker_event(const std::string& id, const std::string& event, int users);
  /// main.lua's setup(), its requests merged; false (summary_.setup_error set) when it failed.
  bool run_setup();
  /// main.lua's teardown() (when setup ran), its requests merged; a failure is a warning.
  void run_teardown();
  /// The users the worker's latest report counted (0 before its first). Summed over the
  /// workers taking part, it is what peak_users and the history count: the users reached, not
  /// the ones asked for.
  int reported_users(const std::string& id) const;
  /// The worker's report changed its count by `change`: the running sum and the peak follow.
  /// `id`'s users changed by `change`; `peak` is the most it ran at once since its previous
  /// report (proto::stats_report::peak_users).
  void note_users(const std::string& id, int change, int peak);
  /// At a tick, `seconds` into the test: true when a threshold with abort_on_fail is broken on
  /// the live totals (noted in the summary), so the test stops now.
  bool judge_abort_thresholds(double seconds);
  /// After a merged report: the thresholds with abort_on_fail judged again (at most every
  /// 100 ms), so that one broken stops the test then, not at the next tick, an interval later.
  void judge_abort_after_report();
  green::time_point abort_judged_at_{};
  /// Whether a threshold has abort_on_fail: set at run(), read on every merged report.
  bool aborts_on_fail_ = false;
  /// After a merged report: when every user class takes `order: unique` rows, every row is
  /// used and no user runs, the test stops (it would idle until its run time).
  void end_if_rows_ran_out();
  bool ends_when_rows_run_out_ = false;  ///< every user class takes unique rows (set at run())
  /// The seconds the merged totals cover, from counted_since_: what the live rates divide by.
  /// Workers report once an interval, so the totals lag the clock by up to one: the mean, over
  /// the workers running users that have reported, of the time their reports reach.
  double counted_seconds() const;
  /// Runs `write` on the live reports, if any; one that fails is said once and stops them.
  template <class Write>
  void write_live(Write write);
  void print(const std::string& text);
  /// A threshold's verdict: on the console, or where verdicts go when it is quiet.
  void say_verdict(const std::string& text);
  /// Warns once when names beyond the scenario's max_names start being folded.
  void check_name_cap();

  std::shared_ptr<const config::scenario> scenario_;
  runner_options options_;
  std::uint64_t run_id_;
  std::uint64_t last_command_ = 0;   ///< spawn commands sent in this run, to any worker
  std::uint64_t arrival_plans_ = 0;  ///< open-model plans sent (spawn_command::arrival_plan_id)
  aggregator aggregator_;
  std::vector<worker_entry> workers_;
  std::unordered_set<std::string> taking_part_;  ///< the ids in workers_ (asked per report)
  /// The users of the workers taking part, as their reports say: wide, a sum over many workers
  /// (users_now() gives it as an int).
  std::int64_t running_users_ = 0;
  user_id_book user_ids_;
  /// The last command gave fewer users than asked: ids 1..N were still held by users being
  /// stopped (a ramp down, then up). The first report that frees some sends it again.
  bool users_wait_for_ids_ = false;
  /// Workers that said goodbye while the master waited for final reports: it waits for theirs.
  std::set<std::string> finals_of_leavers_;
  /// Workers that said goodbye in this run after it sent them users, by id: where a stats reset
  /// reaches them until their final report is in. A leaver's users still drain, and a final
  /// report numbered with the resets before counts for nothing (the requests after the reset
  /// were missing from the totals, and nothing said so).
  std::map<std::string, proto::worker_control*> leavers_;
  /// The reports list this many worker events at most (summary_.worker_events).
  static constexpr std::size_t max_worker_events = 1000;
  /// Workers with an event in this run (listed or not): one that comes back has "rejoined".
  std::set<std::string> with_events_;
  /// Workers restarted whose new process add_worker has not taken yet: it "joined" (QA: a new
  /// process was said to have rejoined, or re-registered).
  std::set<std::string> new_processes_;
  /// Of those, the ones that went silent before it came (leaver_went_silent).
  std::vector<std::string> silent_leavers_;
  /// Workers whose users are still arriving since they joined: the index of that event in
  /// summary_.worker_events, whose users_moved grows as they come (see command_users()).
  std::map<std::string, std::size_t> arriving_;
  std::map<std::string, int> worker_indexes_;
  row_leases rows_;
  hub_strain_watch hub_strain_;
  std::map<std::string, std::size_t> warnings_said_;       ///< by worker id (say_worker_warning)
  std::map<std::string, proto::spawn_command> last_sent_;  ///< per worker taking part
  green::event<> stop_requested_;
  green::event<> finals_in_;
  run_summary summary_;
  int requested_users_ = 0;
  double requested_rate_ = 1;
  std::optional<config::arrival_plan> requested_arrival_;
  std::chrono::steady_clock::time_point requested_at_{};
  /// Sends the current request again over the present workers (one joined or left); a ramp
  /// in progress goes on from where it is.
  void respread();
  /// A stop was asked for (request_stop()), or is under way: no spawn command may follow it, or
  /// users would start that no stop ends (the stop goes out once, when the test's thread wakes).
  bool stop_begun() const noexcept { return stopping_ || stop_requested_.ready(); }
  bool running_ = false;
  bool stopping_ = false;
  bool stop_now_ = false;  // a second Ctrl-C: no more waiting for final reports
  phase phase_ = phase::ready;
  green::time_point started_at_{};
  /// Since when the totals count: the start, or the last reset of the stats.
  green::time_point counted_since_{};
  /// When the last report taken since the stop came: what users finish after the stop counts,
  /// so the run's duration (every rate's divisor) runs to it.
  green::time_point last_report_while_stopping_{};
  std::optional<live_reports> live_;
  std::unique_ptr<script::main_script> main_script_;  ///< the scenario's main.lua, if any
  std::string setup_data_;  ///< what its setup() returned (msgpack), for every spawn command
};

}  // namespace swarmlet::master
