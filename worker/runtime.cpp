#include "runtime.hpp"

#include <algorithm>

#include "common/config/duration.hpp"
#include "common/green/local_ports.hpp"
#include "common/green/operations.hpp"
#include "common/green/queue.hpp"
#include "port_range_warning.hpp"
#include "spawn_plan.hpp"

namespace swarmlet::worker {
namespace {

/// The least time between two reports (see reporter_loop).
constexpr auto early_report_gap = std::chrono::milliseconds(50);

/// Whether two commands ask for the same users (they may differ in number and data rows).
bool same_users(const proto::spawn_command& a, const proto::spawn_command& b) {
  return a.run_id == b.run_id && a.users_per_class == b.users_per_class &&
         a.user_ids == b.user_ids && a.spawn_rate == b.spawn_rate &&
         a.spawn_delay_s == b.spawn_delay_s && a.arrival == b.arrival &&
         a.arrival_plan_id == b.arrival_plan_id &&
         a.arrival_first_thread == b.arrival_first_thread &&
         a.arrival_threads == b.arrival_threads && a.arrival_ids == b.arrival_ids &&
         a.worker_index == b.worker_index && a.worker_count == b.worker_count;
}

}  // namespace

runtime::runtime(std::shared_ptr<const config::scenario> scenario, runtime_options options,
                 proto::report_sink& sink)
    : scenario_(std::move(scenario)),
      options_(std::move(options)),
      sink_(sink),
      control_(green::hub::get()),
      names_(std::make_shared<stats::name_admission>(
          stats::worker_name_cap(scenario_->stats.max_names))) {
  for (int i = 0; i < std::max(1, options_.threads); ++i) {
    // A user that ran out of unique rows, or that was told to stop, is reported from its
    // thread to the control hub.
    auto on_ended = [this, alive = std::weak_ptr<bool>(alive_)](std::uint64_t id, bool ran_out) {
      control_.call_soon_threadsafe([this, alive, id, ran_out] {
        if (!alive.lock()) return;
        if (ran_out) {
          user_ended(id);
          // The last user here gone for want of rows may be the test's end (the master ends it
          // once every row is used and no user runs): said at once, so that its rates do not
          // divide by the wait for the next report. The open model's users are counted at each
          // report only: each one gone says so (reports at once are spaced all the same).
          if ((open_model_ || total_users_ == 0) && !stopping_ && !report_now_.ready())
            report_now_.send();
        } else if (moving_ids_.contains(id)) {
          // Its id is free now for the worker that joined, whose user waits for it (the
          // master hands an id to one user at a time): said at once, not at the next report.
          moving_ids_.erase(id);
          if (!stopping_ && !report_now_.ready()) report_now_.send();
        }
      });
    };
    threads_.push_back(std::make_unique<hub_thread>(i, scenario_, options_.hub, names_, on_ended));
  }
  per_thread_.assign(threads_.size(), 0);
  spawner_ = green::spawn([this] { spawner_loop(); });
  reporter_ = green::spawn([this] { reporter_loop(); });
}

runtime::~runtime() {
  alive_.reset();
  stop_control_threads();
  threads_.clear();  // each stops its users and joins
}

void runtime::stop_control_threads() {
  spawner_.kill();
  reporter_.kill();
  for (auto& t : stoppers_) t.kill();  // a stop still draining must not outlive the runtime
  for (auto& t : resetters_) t.kill();
}

void runtime::leave_now() {
  leaving_now_ = true;  // a stop under way reports what it has, without waiting for the users
  for (auto& t : threads_) t->post([th = t.get()] { th->leave_without_grace(); });
}

void runtime::close() {
  stop_control_threads();
  // Shared with the hub threads' calls, which may come after this green thread was killed.
  struct leaving {
    std::size_t threads = 0;
    green::event<> all_left;
  };
  auto state = std::make_shared<leaving>();
  state->threads = threads_.size();
  green::hub& control = control_;
  for (auto& t : threads_)
    t->quit([state, &control] {
      control.call_soon_threadsafe([state] {
        if (--state->threads == 0) state->all_left.send();
      });
    });
  if (!threads_.empty()) state->all_left.wait();
  threads_.clear();  // each has let its users go: the joins are quick
}

std::size_t runtime::class_index(const std::string& name) const {
  for (std::size_t i = 0; i < scenario_->users.size(); ++i)
    if (scenario_->users[i].name == name) return i;
  return scenario_->users.size();
}

void runtime::start_run(std::uint64_t run_id) {
  // What the threads hold of the run before goes: its master ended it without it, and counted
  // it lost (QA: a worker stopped past the final-report wait and resumed in the next test sent
  // the last run's requests in the new run's first report, counted there). So does what its
  // users still ending their requests record after (they counted in the new run: a request or
  // two each). First in each thread's queue, before the new run's users start.
  names_ =
      std::make_shared<stats::name_admission>(stats::worker_name_cap(scenario_->stats.max_names));
  for (auto& t : threads_)
    t->post([th = t.get(), names = names_] {
      th->start_run(names);
      th->take_busy();  // a long turn between runs is no run's
    });
  run_id_ = run_id;
  sequence_ = 0;
  run_requests_sent_ = 0;
  peak_since_report_ = 0;
  had_open_model_ = false;
  warned_of_ports_ = false;
  warnings_.clear();
  ended_ = {};
  moving_ids_ = {};
  next_local_id_ = 1;
  thread_arrival_ids_.clear();
  rows_.assign(scenario_->users.size(), nullptr);
  for (std::size_t i = 0; i < scenario_->users.size(); ++i) {
    const auto& d = scenario_->users[i].data;
    if (d && d->mode == config::data_spec::order::unique)
      rows_[i] = std::make_shared<unique_rows>(d->rows.size(),
                                               [this, alive = std::weak_ptr<bool>(alive_)] {
                                                 control_.call_soon_threadsafe([this, alive] {
                                                   if (alive.lock() && !report_now_.ready())
                                                     report_now_.send();
                                                 });
                                               });
  }
}

void runtime::tell_threads() {
  for (auto& t : threads_)
    t->post([th = t.get(), identity = identity_, rows = rows_, setup = setup_data_] {
      th->set_run(identity, rows, setup);
    });
}

void runtime::spawn(const proto::spawn_command& command) {
  const bool new_run = command.run_id != run_id_;
  if (new_run) start_run(command.run_id);
  // A worker joined: the ids this one gives up go to its users, each once its user here has
  // ended. Those ends are reported at once (see on_ended), so that the user count barely dips.
  if (!new_run && command.worker_count > target_.worker_count)
    for (const auto& [cls, ids] : running_ids_) {
      proto::id_ranges given_up = ids;
      if (auto it = command.user_ids.find(cls); it != command.user_ids.end())
        given_up.erase(it->second);
      moving_ids_.insert(given_up);
    }
  const bool lease_only = !new_run && !stopping_ && same_users(command, target_);
  stopping_ = false;
  final_sent_ = false;
  command_id_ = command.command_id;
  // A worker that joined after a reset, or missed one, takes it up from its command.
  if (new_run)
    stats_resets_ = resets_asked_ = command.stats_resets;
  else if (command.stats_resets > stats_resets_)
    take_resets(command.stats_resets);
  for (const auto& [cls, lease] : command.data_rows) {
    const std::size_t ci = class_index(cls);
    if (ci < rows_.size() && rows_[ci]) rows_[ci]->lease(lease);
  }
  identity_ = worker_identity{command.worker_index, command.worker_count};
  if (!setup_data_ || *setup_data_ != command.setup_data)
    setup_data_ = std::make_shared<const std::string>(command.setup_data);
  tell_threads();
  if (lease_only) {
    target_ = command;
    return;
  }
  if (command.arrival) {
    // The open model: each hub thread runs its share of the schedule with its share of the
    // users, and so of their ids. A thread keeps the ids it has (a user whose id moved to
    // another thread could still be alive here); new ones go to the threads with the fewest.
    const config::arrival_plan& plan = *command.arrival;
    const std::size_t n = threads_.size();
    proto::id_ranges ids = command.arrival_ids;
    if (ids.empty()) ids = proto::id_ranges::span(1, static_cast<std::uint64_t>(plan.max_users));
    ids = ids.lowest(static_cast<std::uint64_t>(plan.max_users));
    thread_arrival_ids_.resize(n);
    proto::id_ranges rest = ids;
    for (auto& mine : thread_arrival_ids_) {
      mine = mine.intersection(ids);
      rest.erase(mine);
    }
    while (auto id = rest.lowest()) {
      auto fewest =
          std::min_element(thread_arrival_ids_.begin(), thread_arrival_ids_.end(),
                           [](const auto& a, const auto& b) { return a.size() < b.size(); });
      const std::uint64_t even = (ids.size() + n - 1) / n;
      const auto take =
          rest.lowest(std::max<std::uint64_t>(1, even - std::min(even, fewest->size())));
      fewest->insert(take);
      rest.erase(take);
    }
    // This worker's places are of the test's arrival_threads, from arrival_first_thread on:
    // each hub thread with users takes its own. A thread with no user id (it may keep two
    // ids while its neighbour has none) gets no arrivals: its places go to the threads with
    // ids, where it would have dropped every arrival of its own (QA: half the iterations
    // dropped at max_users 1 on two threads, against an idle target).
    // As the master counts them: a place per hub thread, at most one per user id.
    const int places = static_cast<int>(std::min<std::uint64_t>(n, ids.size()));
    const int first = command.arrival_first_thread;
    const int whole = std::max(command.arrival_threads, first + places);
    std::vector<std::size_t> with_ids;
    for (std::size_t t = 0; t < n; ++t) {
      if (!thread_arrival_ids_[t].empty()) {
        with_ids.push_back(t);
      } else {
        threads_[t]->post([th = threads_[t].get()] {
          th->set_arrival(config::arrival_plan{}, proto::id_ranges{});
        });
      }
    }
    const std::size_t m = with_ids.size();
    for (std::size_t j = 0; j < m; ++j) {
      const std::size_t t = with_ids[j];
      const auto& mine = thread_arrival_ids_[t];
      const auto from = static_cast<int>(j * static_cast<std::size_t>(places) / m);
      const auto to = static_cast<int>((j + 1) * static_cast<std::size_t>(places) / m);
      const config::arrival_plan share =
          plan.share(first + from, to - from, whole, static_cast<int>(mine.size()));
      threads_[t]->post(
          [th = threads_[t].get(), share, ids = mine] { th->set_arrival(share, ids); });
    }
    open_model_ = had_open_model_ = true;
    target_ = command;
    return;
  }
  target_ = command;
  plan_ids(command);
  std::uint64_t users = 0;
  for (const auto& [cls, ids] : wanted_) users += ids.size();
  warn_of_ports(users);
  if (!retarget_.ready()) retarget_.send();
}

void runtime::warn_once(std::string warning) {
  if (options_.warn) options_.warn(warning);
  warnings_.push_back(std::move(warning));
}

void runtime::warn_of_ports(std::uint64_t users) {
  if (warned_of_ports_) return;
  const auto range = green::local_port_range();
  if (!range) return;
  if (auto warning = port_range_warning(users, *range, !green::connects_pick_from_whole_range())) {
    warned_of_ports_ = true;
    warn_once(std::move(*warning));
    // Sent now, not at the next interval: the ramp that crosses the range is about to begin.
    if (!report_now_.ready()) report_now_.send();
  }
}

void runtime::plan_ids(const proto::spawn_command& command) {
  wanted_.clear();
  for (const auto& [cls, n] : command.users_per_class) {
    // Unknown classes are ignored (the scenario came with the same command's sender).
    if (class_index(cls) >= scenario_->users.size() || n <= 0) continue;
    if (auto it = command.user_ids.find(cls); it != command.user_ids.end()) {
      wanted_[cls] = it->second;
      continue;
    }
    // No ids from the master: this worker numbers its users, keeping those that run.
    proto::id_ranges ids = running_ids_[cls].lowest(static_cast<std::uint64_t>(n));
    const std::uint64_t more = static_cast<std::uint64_t>(n) - ids.size();
    if (more > 0) ids.insert(next_local_id_, next_local_id_ + more - 1);
    next_local_id_ += more;
    wanted_[cls] = std::move(ids);
  }
}

void runtime::start_user(const std::string& cls, std::uint64_t id) {
  const std::size_t ci = class_index(cls);
  const std::size_t best = static_cast<std::size_t>(
      std::min_element(per_thread_.begin(), per_thread_.end()) - per_thread_.begin());
  threads_[best]->post([th = threads_[best].get(), ci, id] { th->start_user(ci, id); });
  running_[id] = user_slot{cls, best};
  running_ids_[cls].insert(id);
  ++per_thread_[best];
  ++total_users_;
  peak_since_report_ = std::max(peak_since_report_, total_users_);
}

void runtime::stop_user(std::uint64_t id) {
  auto it = running_.find(id);
  if (it == running_.end()) return;
  const std::size_t t = it->second.thread;
  threads_[t]->post([th = threads_[t].get(), id] { th->stop_user(id); });
  running_ids_[it->second.cls].erase(id);
  --per_thread_[t];
  --total_users_;
  running_.erase(it);
}

void runtime::user_ended(std::uint64_t id) {
  ended_.insert(id);
  auto it = running_.find(id);
  if (it == running_.end()) return;
  running_ids_[it->second.cls].erase(id);
  --per_thread_[it->second.thread];
  --total_users_;
  running_.erase(it);
}

bool runtime::change_one() {
  // Classes fill (and empty) in proportion, as Locust interleaves them; within a class the
  // lowest missing id starts first and the highest unwanted one stops first.
  std::map<std::string, int> current, wanted;
  std::map<std::string, proto::id_ranges> to_start, to_stop;
  for (const auto& [cls, ids] : wanted_) {
    proto::id_ranges missing = ids;
    missing.erase(running_ids_[cls]);
    missing.erase(ended_);
    to_start[cls] = std::move(missing);
    wanted[cls] = static_cast<int>(ids.size() - ids.intersection(ended_).size());
  }
  for (const auto& [cls, ids] : running_ids_) {
    current[cls] = static_cast<int>(ids.size());
    proto::id_ranges extra = ids;
    if (auto it = wanted_.find(cls); it != wanted_.end()) extra.erase(it->second);
    if (!extra.empty()) to_stop[cls] = std::move(extra);
  }
  if (auto cls = next_class_to_start(current, wanted); cls && !to_start[*cls].empty()) {
    start_user(*cls, *to_start[*cls].lowest());
    return true;
  }
  auto cls = next_class_to_stop(current, wanted);
  if (!cls || !to_stop.count(*cls)) {
    // The counts match but some ids differ: stop one that is not wanted, then start its due.
    cls.reset();
    if (!to_stop.empty()) cls = to_stop.begin()->first;
  }
  if (cls) {
    stop_user(*to_stop[*cls].highest());
    return true;
  }
  for (const auto& [c, ids] : to_start)
    if (!ids.empty()) {
      start_user(c, *ids.lowest());
      return true;
    }
  return false;
}

void runtime::spawner_loop() {
  bool cut_short = false;  // the last ramp met a new target before it was done
  for (;;) {
    retarget_.wait();
    retarget_.reset();
    // Its turn among the test's ramps (spawn_command::spawn_delay_s) is taken by a ramp that
    // begins from rest. One a new target cuts short (a stage's end, a respread) goes on at
    // once: each stage's command pushed the turn back again, and a worker whose turn was later
    // than a stage never started its users (review).
    const double delay_s = cut_short ? 0.0 : target_.spawn_delay_s;
    const auto ramp_start = green::clock::now() + std::chrono::duration_cast<green::duration>(
                                                      std::chrono::duration<double>(delay_s));
    const double rate = std::max(target_.spawn_rate, 1e-3);
    std::int64_t done = 0;
    cut_short = false;
    for (;;) {
      if (retarget_.ready() || stopping_) {
        cut_short = retarget_.ready();
        break;
      }
      const std::int64_t due = changes_due(green::clock::now() - ramp_start, rate);
      if (done < due) {
        if (!change_one()) {
          if (options_.on_spawn_complete) options_.on_spawn_complete(run_id_, total_users_);
          // The master learns the users now, not an interval later: its history's first row
          // of a short test would say 0 users.
          if (run_id_ != 0 && !report_now_.ready()) report_now_.send();
          break;
        }
        ++done;
        continue;
      }
      // Sleep until the next change is due, waking early for a new target.
      const auto next_at =
          ramp_start + std::chrono::duration_cast<green::duration>(
                           std::chrono::duration<double>(static_cast<double>(done) / rate));
      retarget_.wait_for(std::max(green::duration::zero(), next_at - green::clock::now()));
    }
  }
}

runtime::snapshot runtime::collect() {
  // The queue is shared with the hub threads' replies: this green thread may be killed while it
  // waits (close, a stop cut short), and a reply must not land in its unwound stack.
  auto parts = std::make_shared<green::queue<snapshot>>();
  green::hub& control = control_;
  for (auto& t : threads_) {
    t->post([th = t.get(), parts, &control] {
      const green::busy_reading busy = th->take_busy();
      // A thread's part says its own figures in `hubs`: the merge below keeps the busiest.
      proto::hub_strain own{
          th->index(), busy.cpu_percent, th->index(),
          std::min(proto::hub_strain::max_turn_ms,
                   std::chrono::duration<double, std::milli>(busy.longest_turn_cpu).count())};
      auto part =
          std::make_shared<snapshot>(snapshot{th->take_delta(), th->take_exceptions(),
                                              th->live_user_ids(), th->take_peak_users(), own});
      control.call_soon_threadsafe([parts, part] { parts->put_nowait(std::move(*part)); });
    });
  }
  snapshot merged;
  merged.delta.cap_names(stats::worker_name_cap(scenario_->stats.max_names));
  merged.delta.share_admission(names_);
  for (std::size_t i = 0; i < threads_.size(); ++i) {
    snapshot part = parts->get();
    merged.delta.merge(part.delta);
    merged.exceptions.merge(part.exceptions);  // bounded as each thread's: a report's bound
    merged.live_user_ids.insert(part.live_user_ids);
    merged.peak_users += part.peak_users;
    if (i == 0 || part.hubs.busiest_cpu_percent > merged.hubs.busiest_cpu_percent) {
      merged.hubs.busiest_thread = part.hubs.busiest_thread;
      merged.hubs.busiest_cpu_percent = part.hubs.busiest_cpu_percent;
    }
    if (i == 0 || part.hubs.blocked_ms > merged.hubs.blocked_ms) {
      merged.hubs.blocked_thread = part.hubs.blocked_thread;
      merged.hubs.blocked_ms = part.hubs.blocked_ms;
    }
  }
  return merged;
}

int runtime::count_running() {
  auto counts = std::make_shared<green::queue<int>>();  // shared for the reason collect's is
  green::hub& control = control_;
  for (auto& t : threads_) {
    t->post([th = t.get(), counts, &control] {
      const int n = th->running_users();
      control.call_soon_threadsafe([counts, n] { counts->put_nowait(n); });
    });
  }
  int total = 0;
  for (std::size_t i = 0; i < threads_.size(); ++i) total += counts->get();
  return total;
}

void runtime::reset_stats(std::uint64_t run_id, std::uint64_t resets) {
  if (run_id == run_id_ && resets > stats_resets_) take_resets(resets);
}

void runtime::take_resets(std::uint64_t resets) {
  resets_asked_ = std::max(resets_asked_, resets);
  if (final_sent_) {  // the run's last report went: nothing of it is left to tell apart
    stats_resets_ = resets;
    return;
  }
  // Also while the users stop: the report goes ahead of the final one (reports leave one at a
  // time, in turn), which then holds only the drain after the reset (review: the final report
  // held up to an interval of requests from before it).
  std::erase_if(resetters_, [](const auto& t) { return t.dead(); });
  resetters_.push_back(green::spawn(
      [this, b = reset_boundary{run_id_, resets}] { deliver(false, command_id_, b); }));
}

void runtime::deliver(bool final, std::uint64_t command_id,
                      std::optional<reset_boundary> boundary) {
  green::semaphore_guard one_at_a_time(delivering_);
  if (boundary) {
    // It waited its turn: meanwhile its run may have ended and another begun (review: it went
    // out in the next run, numbering that run's reports with this one's resets).
    if (boundary->run_id != run_id_) return;
    if (final_sent_ || boundary->resets <= stats_resets_) {
      // The final report came first (the run's last), or a later reset's: no report.
      stats_resets_ = std::max(stats_resets_, boundary->resets);
      return;
    }
    return send_report(false, command_id, boundary->resets);
  }
  // A reset whose report has not had its turn goes first (whoever runs first when the turn
  // frees takes it): the final report is the run's last, and holds only what came after.
  if (final && resets_asked_ > stats_resets_) send_report(false, command_id_, resets_asked_);
  send_report(final, command_id, 0);
}

void runtime::send_report(bool final, std::uint64_t command_id, std::uint64_t resets_after) {
  proto::stats_report r;
  r.worker_id = options_.worker_id;
  r.run_id = run_id_;
  r.sequence = ++sequence_;
  r.final = final;
  r.command_id = command_id;
  r.stats_resets = stats_resets_;
  // Taken after the command id: the live ids are at least as new as the command they follow;
  // the rows used after the live ids, so a report without live users counts all their rows.
  auto snap = collect();
  // What the users do from here on is after the reset; a later one may have come meanwhile
  // (review: set back, the final report was numbered below the master's count, all skipped).
  stats_resets_ = std::max(stats_resets_, resets_after);
  // A final report answering an older command (a spawn came while the users stopped) ends
  // nothing of the run now.
  if (final && command_id == command_id_) final_sent_ = true;
  // The open model's users are the ones its schedulers made and have alive, not its budget
  // (max_users): a run at 190,000 arrivals/s with a budget of 2,000 has some 64 users, as k6
  // reports its VUs.
  if (open_model_) total_users_ = static_cast<int>(snap.live_user_ids.size());
  r.users = total_users_;
  r.peak_users = std::max(peak_since_report_, total_users_);
  // The open model's users come and go inside the threads, between two reports: their peaks
  // (also what a stop leaves a final report to say).
  if (open_model_ || had_open_model_) r.peak_users = std::max(r.peak_users, snap.peak_users);
  peak_since_report_ = total_users_;
  r.delta = std::move(snap.delta);
  r.exceptions = std::move(snap.exceptions);
  r.live_user_ids = std::move(snap.live_user_ids);
  r.hubs = snap.hubs;
  r.warnings = std::exchange(warnings_, {});
  for (std::size_t i = 0; i < rows_.size(); ++i)
    if (rows_[i]) r.data_rows_used[scenario_->users[i].name] = rows_[i]->used();
  const std::uint64_t requests = r.delta.all_rows().requests;
  requests_reported_ += requests;
  run_requests_sent_ += requests;
  r.requests_sent = run_requests_sent_;
  sink_.deliver(std::move(r));
}

void runtime::reporter_loop() {
  for (;;) {
    // Every interval, or at once when users wait for unique data rows (the report asks the
    // master for more) or a user whose id goes to a worker that joined has ended.
    report_now_.wait_for(options_.report_interval);
    report_now_.reset();
    // Early reports (users stopped one by one, rows running out) go at most every 50 ms.
    green::sleep(std::max(green::duration::zero(),
                          last_report_at_ + early_report_gap - green::clock::now()));
    last_report_at_ = green::clock::now();
    if (run_id_ != 0 && !stopping_) deliver(false, command_id_);
  }
}

void runtime::stop(std::uint64_t run_id) {
  if (run_id != run_id_ || stopping_) return;
  stopping_ = true;
  // The books close at once, so a spawn that comes while the users drain starts from none;
  // the final report then answers the command before it, not that spawn.
  const std::uint64_t answered = command_id_;
  open_model_ = false;
  running_.clear();
  running_ids_.clear();
  wanted_.clear();
  thread_arrival_ids_.clear();
  std::fill(per_thread_.begin(), per_thread_.end(), 0);
  total_users_ = 0;
  target_.users_per_class.clear();
  target_.user_ids.clear();
  target_.arrival.reset();
  if (!retarget_.ready()) retarget_.send();  // ends any ramp in progress
  for (auto& t : threads_) t->post([th = t.get()] { th->stop_all_users(); });
  std::erase_if(stoppers_, [](const auto& t) { return t.dead(); });
  stoppers_.push_back(green::spawn([this, answered, run = run_id_] {
    // Users finish the request they are in, then run on_stop: both bounded (stop_drain).
    const auto wait = scenario_->stop_drain() + std::chrono::seconds(1);
    const auto until = green::clock::now() + wait;
    int still_running = count_running();
    while (command_id_ == answered && still_running > 0 && green::clock::now() < until &&
           !leaving_now_) {
      green::sleep(std::chrono::milliseconds(10));
      still_running = count_running();
    }
    // Users past the wait go on after the final report, unreported: say so rather than let
    // their requests vanish (the target counted them; the report will not).
    if (command_id_ == answered && still_running > 0 && !leaving_now_ && run_id_ == run)
      warn_once(std::to_string(still_running) + (still_running == 1 ? " user was" : " users were") +
                " still running when the stop's wait of " + config::format_duration(wait) +
                " ran out: what " + (still_running == 1 ? "it does" : "they do") +
                " from then on is not in the report");
    // Another run began meanwhile (the worker stalled past its master's wait for it): this one
    // is over, and its report would be taken for the new run's (see start_run).
    if (run_id_ == run) deliver(true, answered);
  }));
}

bool runtime::stopping() const noexcept {
  return std::any_of(stoppers_.begin(), stoppers_.end(), [](const auto& t) { return !t.dead(); });
}

user_load_factory runtime_factory(runtime_options options) {
  return [options](std::shared_ptr<const config::scenario> scenario, proto::report_sink& sink,
                   spawn_complete_callback on_spawn_complete) -> std::unique_ptr<user_load> {
    runtime_options o = options;
    o.on_spawn_complete = std::move(on_spawn_complete);
    return std::make_unique<runtime>(std::move(scenario), o, sink);
  };
}

}  // namespace swarmlet::worker
