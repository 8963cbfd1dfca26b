#include "worker_link.hpp"

#include <fmt/format.h>

#include <ostream>

#include "common/green/operations.hpp"
#include "descriptor_budget.hpp"
#include "printable_text.hpp"

namespace swarmlet::master {

/// A registered worker as the test runner sees it: commands go out over the transport.
class worker_link::remote_worker final : public proto::worker_control {
 public:
  remote_worker(worker_link& link, std::string id) : link_(link), id_(std::move(id)) {}
  void spawn(const proto::spawn_command& command) override {
    link_.send_to(id_, proto::message_type::spawn, command);
  }
  void stop(std::uint64_t run_id) override {
    link_.send_to(id_, proto::message_type::stop, proto::stop_payload{run_id});
  }
  void reset_stats(std::uint64_t run_id, std::uint64_t resets) override {
    link_.send_to(id_, proto::message_type::reset_stats, proto::reset_payload{run_id, resets});
  }

 private:
  worker_link& link_;
  std::string id_;
};

worker_link::worker_link(proto::master_transport& transport, green::clock_source& clock,
                         worker_link_options options, proto::welcome_payload welcome,
                         std::ostream* log)
    : transport_(transport),
      clock_(clock),
      options_(options),
      welcome_(std::move(welcome)),
      log_(log) {
  stamp(welcome_);
  control_thread_ = green::spawn([this] { control_loop(); });
  stats_thread_ = green::spawn([this] { stats_loop(); });
  heartbeat_thread_ = green::spawn([this] { heartbeat_loop(); });
}

worker_link::~worker_link() {
  control_thread_.kill();
  stats_thread_.kill();
  heartbeat_thread_.kill();
}

void worker_link::log(const std::string& line) {
  if (log_ != nullptr) *log_ << "swarmlet master: " << printable(line) << std::endl;
}

void worker_link::warn(const std::string& text) {
  if (runner_ != nullptr)
    runner_->warn(text);  // the console, the web UI, the JSON report
  else
    log("WARNING: " + text);
}

bool worker_link::descriptors_for_a_worker(const std::string& id) {
  // Its control connection is open already; its stats connection will take one more.
  if (descriptors_left(static_cast<std::size_t>(options_.descriptors_kept) + 1)) return true;
  const descriptor_use d = descriptors_now();
  const std::string why = fmt::format(
      "the master is out of file descriptors ({} of {} open): it cannot take worker {}, which "
      "retries; raise the master's open-file limit (ulimit -n)",
      d.open, d.limit, id);
  if (turned_away_.insert(id).second) log(why);  // once per worker: it retries every few seconds
  warn(fmt::format(
      "the master ran out of file descriptors ({} open): workers beyond those it serves could not "
      "join (raise the master's open-file limit, ulimit -n)",
      d.limit));
  send_to(id, proto::message_type::error, proto::error_payload{why});
  return false;
}

void worker_link::check_descriptors() {
  if (descriptors_left(static_cast<std::size_t>(options_.descriptors_kept))) return;
  const descriptor_use d = descriptors_now();
  warn(fmt::format(
      "the master ran out of file descriptors ({} open): workers beyond those it serves could not "
      "join (raise the master's open-file limit, ulimit -n)",
      d.limit));
}

void worker_link::bad_frame(const std::string& peer, const std::string& reason) {
  ++bad_frames_;
  // The first few are worth a line each; after that, only the count (in the summary).
  if (bad_frames_ <= 5)
    log("dropped a bad frame from " + (peer.empty() ? std::string("a peer") : "'" + peer + "'") +
        ": " + reason);
}

void worker_link::send_to(const std::string& id, proto::message_type type, proto::payload body) {
  transport_.send(id, proto::make_message(type, "master", std::move(body)));
}

void worker_link::attach(test_runner& runner) {
  runner_ = &runner;
  // Workers that could not run the test before it began: it runs without them, and says so.
  for (const auto& text : unwarned_failures_) runner.warn(text);
  unwarned_failures_.clear();
  for (const auto* w : registry_.ready_workers())
    runner.add_worker(*remotes_.at(w->id), w->id, w->threads, w->incarnation);
}

void worker_link::stamp(proto::welcome_payload& welcome) const {
  welcome.heartbeat_interval_ms = static_cast<int>(options_.heartbeat_interval.count());
  welcome.stats_port = transport_.stats_port();
}

void worker_link::set_welcome(proto::welcome_payload welcome) {
  stamp(welcome);
  welcome_ = std::move(welcome);
  for (const auto* w : registry_.ready_workers())
    send_to(w->id, proto::message_type::welcome, welcome_);
}

bool worker_link::wait_for_workers(int count, std::chrono::steady_clock::duration timeout) {
  const auto until = clock_.now() + timeout;
  while (static_cast<int>(registry_.ready_workers().size()) < count) {
    worker_joined_.reset();
    if (!clock_.wait_until(worker_joined_, until))
      return static_cast<int>(registry_.ready_workers().size()) >= count;
  }
  return true;
}

void worker_link::quit_all() {
  for (const auto* w : registry_.ready_workers()) send_to(w->id, proto::message_type::quit);
}

void worker_link::control_loop() {
  for (;;) {
    proto::received r = transport_.receive_control();
    if (auto* error = std::get_if<proto::decode_error>(&r.content)) {
      on_undecodable(r.peer, *error);
      continue;
    }
    auto& m = std::get<proto::message>(r.content);
    if (m.sender != r.peer) {
      bad_frame(r.peer, "sender '" + m.sender + "' differs from the connection's identity");
      continue;
    }
    if (auto why = foreign_key(r.peer, r.key, m.type == proto::message_type::hello)) {
      bad_frame(r.peer, *why);
      if (m.type == proto::message_type::hello)
        send_to(r.peer, proto::message_type::refused, proto::refused_payload{*why});
      continue;
    }
    on_message(r.peer, std::move(m));
  }
}

std::optional<std::string> worker_link::foreign_key(const std::string& id, const std::string& key,
                                                    bool binds) {
  if (key.empty()) return std::nullopt;  // no CURVE allow-list: nothing to bind to
  // Names of workers gone missing stay bound (they may come back), up to a bound: beyond it,
  // those of workers not connected now are forgotten.
  if (keys_.size() >= max_bound_names && !keys_.contains(id))
    std::erase_if(keys_, [this](const auto& k) { return !registry_.known(k.first); });
  const auto [bound, first] = keys_.try_emplace(id, key);
  if (first && !binds) keys_.erase(bound);  // a name is bound by its first hello only
  if (first || bound->second == key) return std::nullopt;
  return "worker name '" + id + "' belongs to the CURVE key it joined with; this frame came with " +
         key + ": dropped";
}

void worker_link::on_undecodable(const std::string& peer, const proto::decode_error& error) {
  bad_frame(peer, error.reason);
  if (error.peer_version == 0 || peer.empty()) return;
  const std::string reason = "master speaks protocol " + std::to_string(proto::protocol_version) +
                             ", this worker speaks " + std::to_string(error.peer_version) +
                             ": run the same swarmlet version on master and workers";
  constexpr std::size_t refusals_named = 4096;
  if (refused_peers_.size() >= refusals_named) refused_peers_.clear();
  if (refused_peers_.insert(peer).second)  // once per peer: its every frame is refused
    log("refused worker '" + peer + "': " + reason);
  send_to(peer, proto::message_type::refused, proto::refused_payload{reason});
}

void worker_link::on_worker_error(const std::string& id, const proto::error_payload& e) {
  if (!e.refused) {
    log("worker " + id + " reports an error: " + e.text);
    return;
  }
  if (*e.refused == proto::message_type::welcome) {
    // The test the welcome carries does not load there (a script whose load reads sw.env, a
    // data file...): the worker runs none of its users, and exits. QA: each of its users
    // failed to start, the others never got them, and the master said that every worker had
    // reached its target.
    const std::string text =
        "worker " + id + " cannot run the test, and leaves: " + e.text + where_its_users_go();
    // Between tests (a web UI's master), the last test stays attached, its summary written:
    // the next test says it.
    if (runner_ != nullptr && runner_->state() != test_runner::phase::stopped) {
      runner_->warn(text);
    } else {
      log("WARNING: " + text);
      constexpr std::size_t failures_kept = 100;  // a crash-looping worker is one of them
      if (unwarned_failures_.size() < failures_kept) unwarned_failures_.push_back(text);
    }
    forget(id);
    if (runner_ != nullptr) runner_->remove_worker(id, test_runner::worker_exit::failed);
    return;
  }
  // A command the worker refused is one it does not follow: a warning (the console, -q, the
  // JSON report), not a log line beside numbers that lack its users.
  const std::string text = "worker " + id + " " + e.text;
  if (runner_ != nullptr)
    runner_->warn_of_worker(id, text);  // bounded: a flood of distinct refusals grew the master
  else
    log("WARNING: " + text);
  if (*e.refused == proto::message_type::spawn && runner_ != nullptr) runner_->spawn_refused(id);
}

void worker_link::on_message(const std::string& id, proto::message m) {
  switch (m.type) {
    case proto::message_type::hello:
      return on_hello(id, std::get<proto::hello_payload>(m.body));
    case proto::message_type::heartbeat:
      return on_heartbeat(id, std::get<proto::heartbeat_payload>(m.body));
    case proto::message_type::spawn_complete:
      return on_spawn_complete(id, std::get<proto::spawn_complete_payload>(m.body));
    case proto::message_type::error:
      if (registry_.known(id)) on_worker_error(id, std::get<proto::error_payload>(m.body));
      return;
    case proto::message_type::goodbye:
      return on_goodbye(id);
    default:
      bad_frame(id, std::string("a worker does not send ") + proto::to_string(m.type) +
                        " on the control plane");
  }
}

void worker_link::on_hello(const std::string& id, const proto::hello_payload& h) {
  // A hello is answered every time: a worker says it again when it believes itself
  // unregistered (it lost the master and stopped its users), so it also gets its share again.
  const bool known = registry_.known(id);
  const bool was_ready = registry_.ready(id);
  if (!was_ready && !descriptors_for_a_worker(id)) return;
  // A new process under the id (a restart: Kubernetes gives a pod's container its name again)
  // numbers its reports and names from the start: what the master kept of the one before
  // would refuse its reports as repeats. A process that said goodbye never says hello again:
  // a hello under its name is another process (systemctl restart, Ctrl-C and run again).
  const bool restarted = known ? registry_.another_process(id, h) : said_goodbye_.contains(id);
  if (known && registry_.replaced_process_is_back(id, h)) warn_of_two_processes(id, h);
  leavers_heard_.erase(id);
  registry_.hello(id, h, clock_.now());
  auto& remote = remotes_[id];
  if (!remote) remote = std::make_unique<remote_worker>(*this, id);
  send_to(id, proto::message_type::welcome, welcome_);
  // The first few restarts are worth a line each: a peer saying hello as a new process over
  // and over (a crash loop, or a hostile one) wrote 136,000 of them.
  constexpr std::uint64_t restart_lines = 10;
  if (restarted) {
    if (++restarts_ <= restart_lines)
      log("worker restarted: " + id + " is a new process (pid " + std::to_string(h.pid) + " on " +
          h.host + "); its numbers start afresh" +
          (restarts_ == restart_lines ? " (further restarts are not logged)" : ""));
  } else if (!was_ready) {
    log(std::string(known ? "worker re-joined: " : "worker joined: ") + id + " (" + h.host + ", " +
        std::to_string(h.threads) + " threads); " +
        std::to_string(registry_.ready_workers().size()) + " ready");
  }
  if (runner_ != nullptr) {
    if (restarted) runner_->worker_restarted(id);
    runner_->add_worker(*remote, id, h.threads, h.incarnation);
  }
  if (!worker_joined_.ready()) worker_joined_.send();
}

void worker_link::warn_of_two_processes(const std::string& id, const proto::hello_payload& h) {
  if (!two_processes_warned_.insert(id).second) return;
  const worker_info& now = registry_.all().at(id);
  const std::string text = fmt::format(
      "two processes are running with --id {} (pid {} on {}, and pid {} on {}): each hello of "
      "one is taken for a restart of the other, and their reports for lost ones; give each its "
      "own --id",
      id, h.pid, h.host, now.pid, now.host);
  log(text);
  if (runner_ != nullptr) runner_->warn(text);
}

void worker_link::on_heartbeat(const std::string& id, const proto::heartbeat_payload& h) {
  if (registry_.heard(id, clock_.now(), h.users, h.cpu_percent)) return;
  if (auto it = leavers_heard_.find(id); it != leavers_heard_.end())
    it->second = clock_.now();
  else if (!said_goodbye_.contains(id))  // a leaver's last beats may follow its final report
    bad_frame(id, "heartbeat from a worker that has not said hello");
}

void worker_link::on_spawn_complete(const std::string& id, const proto::spawn_complete_payload& c) {
  registry_.heard(id, clock_.now(), c.users);
  if (runner_ == nullptr || c.run_id != runner_->run_id()) return;
  spawned_[id] = c.users;
  std::int64_t total = 0;  // 22 workers claiming the 100,000,000 users each may overflow an int
  for (const auto* w : registry_.ready_workers()) {
    auto it = spawned_.find(w->id);
    if (it == spawned_.end()) return;  // not every worker is there yet
    // One still on its way to a new target (a worker joined: users move as their ids are
    // handed over) has not reached it: the sum said 11, 12, 13, 14, 9 of 10 users.
    if (it->second != runner_->users_sent_to(w->id)) return;
    total += it->second;
  }
  if (total != last_spawned_total_) {
    last_spawned_total_ = total;
    log("all workers reached their targets: " + std::to_string(total) + " users");
  }
}

std::string worker_link::where_its_users_go() const {
  // While the test stops (or between tests) a gone worker's users go nowhere (QA: "spread over
  // the others" as the master stopped).
  if (runner_ == nullptr || runner_->state() != test_runner::phase::running) return "";
  return "; its users are spread over the others";
}

void worker_link::forget(const std::string& id) {
  registry_.remove(id);
  keys_.erase(id);  // gone for good: its name is free
  constexpr std::size_t goodbyes_kept = 4096;
  if (said_goodbye_.insert(id).second) goodbye_order_.push_back(id);
  if (goodbye_order_.size() > goodbyes_kept) {
    said_goodbye_.erase(goodbye_order_.front());
    goodbye_order_.pop_front();
  }
}

void worker_link::on_goodbye(const std::string& id) {
  if (!registry_.known(id)) return;
  forget(id);
  log("worker left: " + id + where_its_users_go());
  if (runner_ == nullptr) return;
  runner_->remove_worker(id);
  // Watched only while the test waits for its final report: one already in, or not owed,
  // would be said to have gone silent.
  if (runner_->awaits_final_of(id)) leavers_heard_[id] = clock_.now();
}

void worker_link::stats_loop() {
  for (;;) {
    auto frame = transport_.receive_stats();
    if (auto* error = std::get_if<proto::decode_error>(&frame)) {
      bad_frame("", "stats plane: " + error->reason);
      continue;
    }
    auto& got = std::get<proto::stats_bytes>(frame);
    if (auto error = stats_.read(std::move(got.bytes))) {
      bad_frame(std::string(stats_.sender), "stats plane: " + *error);
      // Sound as far as whose report it is: it counts, as lost (QA: refused reports went
      // uncounted, and their worker, alive and reporting, was called missing).
      if (stats_.header_read() && !foreign_key(std::string(stats_.sender), got.key, false))
        on_stats(&*error);
      continue;
    }
    if (auto why = foreign_key(std::string(stats_.sender), got.key, false)) {
      bad_frame(std::string(stats_.sender), "stats plane: " + *why);
      continue;
    }
    on_stats(nullptr);
  }
}

void worker_link::on_stats(const std::string* refused_why) {
  const std::string sender(stats_.sender);
  // A report is the worker's sign of life in the seconds it reports (it sends no heartbeat
  // then), so it says what a heartbeat would: its users and its CPU. Not a late one of the
  // process a restart replaced: that says nothing of the new one (the runner merges it into
  // the record before the restart). How busy its hub threads were is the runner's to judge.
  if (!registry_.heard(sender, clock_.now(), stats_.final ? 0 : stats_.users, stats_.cpu_percent,
                       stats_.incarnation) &&
      !said_goodbye_.contains(sender)) {
    ++rejected_stats_;  // not a worker that said hello
    return;
  }
  if (runner_ == nullptr) return;
  if (stats_.run_id != runner_->run_id()) {
    ++rejected_stats_;
    return;
  }
  if (auto it = leavers_heard_.find(sender); it != leavers_heard_.end()) {
    if (stats_.final)
      leavers_heard_.erase(it);
    else
      it->second = clock_.now();
  }
  switch (refused_why == nullptr ? runner_->deliver(stats_)
                                 : runner_->refuse(stats_, *refused_why)) {
    case aggregator::add_result::unresolved:
      return bad_frame(sender,
                       fmt::format("stats report {} uses request names the worker never defined: "
                                   "its requests are counted lost",
                                   stats_.sequence));
    case aggregator::add_result::names_full:
      return bad_frame(sender,
                       fmt::format("stats report {} defines request names past what the master "
                                   "keeps in a test: its requests are counted lost",
                                   stats_.sequence));
    case aggregator::add_result::overflows:
      return bad_frame(sender, fmt::format("stats report {} was dropped: its counts pass what a "
                                           "worker may count in a run, or the run counts no more "
                                           "workers (the test warns of it)",
                                           stats_.sequence));
    case aggregator::add_result::merged:
    case aggregator::add_result::refused:  // a bad frame already, and warned of by the runner
    case aggregator::add_result::rejected:
    case aggregator::add_result::stale:
      return;
  }
}

void worker_link::heartbeat_loop() {
  const auto silence = options_.heartbeat_interval * options_.heartbeat_misses;
  for (;;) {
    clock_.sleep_for(options_.heartbeat_interval);
    check_descriptors();
    for (const auto* w : registry_.ready_workers()) {
      proto::heartbeat_payload beat;
      if (runner_ != nullptr) {  // tells the worker which of its names its reports may omit
        beat.run_id = runner_->run_id();
        beat.names_known = runner_->names_known(w->id);
      }
      send_to(w->id, proto::message_type::heartbeat, beat);
    }
    for (auto it = leavers_heard_.begin(); it != leavers_heard_.end();) {
      if (clock_.now() - it->second <= silence) {
        ++it;
        continue;
      }
      const std::string id = it->first;
      it = leavers_heard_.erase(it);
      if (runner_ != nullptr && runner_->leaver_went_silent(id))
        log("worker " + id + " left and went silent (no heartbeat or report for " +
            std::to_string(silence.count()) + " ms) before its final report");
    }
    for (const auto& id : registry_.expire(clock_.now(), silence)) {
      log("worker missing: " + id + " (no heartbeat or report for " +
          std::to_string(silence.count()) + " ms)" + where_its_users_go());
      if (runner_ != nullptr) runner_->remove_worker(id, test_runner::worker_exit::missing);
    }
  }
}

}  // namespace swarmlet::master
