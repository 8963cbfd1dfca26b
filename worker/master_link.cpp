#include "master_link.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <ostream>
#include <random>
#include <stdexcept>

#include "common/config/config_error.hpp"
#include "common/config/duration.hpp"
#include "common/green/operations.hpp"
#include "common/stats/cut_text.hpp"
#include "common/stats/stats_table.hpp"
#include "proto/stats_frame.hpp"
#include "scenario_install.hpp"

namespace swarmlet::worker {
namespace {

/// Hellos go out often at first, then less often while no master answers.
constexpr std::chrono::milliseconds first_hello_backoff{250};
/// At most this between hellos while no master answers. QA: a worker started before its master
/// (the usual order on Kubernetes) joined 6.7 s after the master came up (5 s here, and
/// ZeroMQ's reconnection back-off of as much), where Locust's joined in 0.2 s. A hello a second
/// costs nothing.
constexpr std::chrono::milliseconds max_hello_backoff{1000};
/// A CURVE handshake that fails is silent on both sides: after this long, say what to check.
constexpr std::chrono::seconds no_answer_hint_after{10};
/// After the master said quit, time for the final report of a stop in progress to leave.
constexpr std::chrono::milliseconds final_report_grace{100};

std::string host_name() {
  char host[256] = "host";
  ::gethostname(host, sizeof host - 1);
  return host;
}

}  // namespace

std::string make_worker_id() {
  std::random_device rd;
  char suffix[9];
  std::snprintf(suffix, sizeof suffix, "%08x", rd());
  return host_name() + "-" + std::to_string(::getpid()) + "-" + suffix;
}

std::uint64_t master_link::draw_incarnation() {
  std::random_device rd;
  const std::uint64_t n = (static_cast<std::uint64_t>(rd()) << 32) | rd();
  return n == 0 ? 1 : n;  // 0 is "not said"
}

master_link::master_link(proto::worker_transport& transport, green::clock_source& clock,
                         master_link_options options, user_load_factory make_load)
    : transport_(transport),
      clock_(clock),
      options_(std::move(options)),
      make_load_(std::move(make_load)) {
  // The id is the transport's identity too: one made up here would not match it.
  if (options_.worker_id.empty())
    throw std::invalid_argument("master_link: the worker id (the transport's identity) is missing");
  if (options_.host.empty()) options_.host = host_name();
}

master_link::~master_link() {
  stop_threads();
  load_.reset();
}

void master_link::stop_threads() {
  for (auto* t : {&beats_, &receiver_})
    if (t->valid() && !t->dead()) t->kill();
}

void master_link::log(const std::string& line) {
  if (options_.log != nullptr) *options_.log << "swarmlet worker: " << line << std::endl;
}

void master_link::send(proto::message_type type, proto::payload body) {
  transport_.send(proto::make_message(type, options_.worker_id, std::move(body)));
}

void master_link::deliver(proto::stats_report report) {
  const bool final = report.final;
  if (final) log("users stopped: the final report of the run is on its way");
  if (final) final_run_ = report.run_id;
  report.cpu_percent = cpu_.sample();
  report.incarnation = incarnation_;
  // The master refuses a report with more rows or errors than these (a bound on what one
  // report makes it allocate): past them, the rarest go to "(other names)" and "(other
  // errors)", every request still counted (QA: 2,000 names made from ids in one interval, and
  // the master refused every report, counting 2% of the requests).
  report.delta.fold_past(proto::stats_frame::max_rows, proto::stats_frame::max_errors);
  transport_.push_stats(proto::encode_stats(options_.worker_id, report, report_names_));
  reported_since_beat_ = true;
  if (final && !final_left_.ready()) final_left_.send();
}

void master_link::finish(int code) {
  if (!done_.ready()) done_.send(code);
}

void master_link::on_welcome(const proto::welcome_payload& w) {
  heartbeat_interval_ = std::chrono::milliseconds(w.heartbeat_interval_ms);
  // Nothing is lost by connecting stats only now: stats are only sent for a test, and tests
  // come after the welcome.
  transport_.use_stats_port(w.stats_port);
  if (!registered_) log("registered with the master at " + options_.master_address);
  registered_ = true;
  if (!welcomed_.ready()) welcomed_.send();  // the beats begin now, not after the hello's wait
  const std::string test = w.scenario_yaml + w.target;
  if (load_ && test == installed_) return;  // same test: keep the hub threads
  load_.reset();
  installed_.clear();
  try {
    auto scenario = install_scenario(w);
    load_ = make_load_(scenario, *this, [this](std::uint64_t run_id, int users) {
      send(proto::message_type::spawn_complete, proto::spawn_complete_payload{run_id, users});
    });
    installed_ = test;
  } catch (const config::config_error& e) {
    // Cut to what an error message carries (the master's codec refuses a longer one).
    const std::string text =
        stats::cut_text(std::string("the master's scenario does not load here: ") + e.what(),
                        stats::stats_table::max_text);
    log(text);
    // As the master's welcome refused: the master lets this worker go at once, and warns.
    send(proto::message_type::error, proto::error_payload{text, proto::message_type::welcome});
    finish(2);
  }
}

void master_link::on_spawn(const proto::spawn_command& c) {
  if (!load_ || !registered_) return;
  if (c.arrival) {
    // The open model's users are made as the arrivals need them: no count or spawn rate of its
    // own (hunt: every worker said "spawn: 0 users at 0.5/s").
    const auto& a = *c.arrival;
    const bool ramp = a.ramp.count() > 0 && a.rate_to != a.rate;
    log(fmt::format(
        "spawn: the test's arrivals at {}/s{}, up to {} users here", a.rate,
        ramp ? fmt::format(" to {}/s over {}", a.rate_to, config::format_duration(a.ramp)) : "",
        c.arrival_ids.size()));
  } else {
    int users = 0;
    for (const auto& [cls, n] : c.users_per_class) users += n;
    log(fmt::format("spawn: {} users at {}/s{}", users, c.spawn_rate,
                    c.spawn_delay_s > 0 ? fmt::format(", from {:.3f} s on", c.spawn_delay_s) : ""));
  }
  // Users run again (in this run too, after a stop when the master went silent): a Ctrl-C
  // then owes their final report, whatever an earlier stop sent.
  final_run_ = 0;
  load_->spawn(c);
}

void master_link::on_message(proto::message m) {
  switch (m.type) {
    case proto::message_type::welcome:
      return on_welcome(std::get<proto::welcome_payload>(m.body));
    case proto::message_type::refused:
      log("the master refused this worker: " + std::get<proto::refused_payload>(m.body).reason);
      return finish(1);
    case proto::message_type::spawn:
      return on_spawn(std::get<proto::spawn_command>(m.body));
    case proto::message_type::stop:
      if (load_) load_->stop(std::get<proto::stop_payload>(m.body).run_id);
      return;
    case proto::message_type::reset_stats: {
      const auto& reset = std::get<proto::reset_payload>(m.body);
      if (load_) load_->reset_stats(reset.run_id, reset.resets);
      return;
    }
    case proto::message_type::quit:
      log("the master said quit");
      return finish(0);
    case proto::message_type::heartbeat: {
      const auto& beat = std::get<proto::heartbeat_payload>(m.body);
      report_names_.acknowledged(beat.run_id, beat.names_known);
      return;
    }
    case proto::message_type::error:
      // The master could not take this worker now (e.g. out of file descriptors): hello again.
      log("the master says: " + std::get<proto::error_payload>(m.body).text);
      return;
    default:
      log(std::string("ignored a ") + proto::to_string(m.type) + " from the master");
  }
}

void master_link::on_undecodable(const proto::decode_error& error) {
  const std::string what =
      error.type ? std::string("the master's ") + proto::to_string(*error.type) + " message"
                 : std::string("a bad message from the master");
  log("dropped " + what + ": " + error.reason);
  // Said to the master too: a spawn command dropped here runs no user, and the master would
  // otherwise wait for this worker's final report of a run it never began (QA: 85 s for a 2 s
  // test, then exit 0 with 0 requests).
  constexpr std::size_t reason_kept = 1024;  // an error's text is at most 4096 bytes
  send(proto::message_type::error,
       proto::error_payload{"refused " + what + ": " + error.reason.substr(0, reason_kept),
                            error.type});
  // Without its welcome this worker has no test to run, and the master lets it go (it would
  // take its hellos for one restart after another).
  if (error.type == proto::message_type::welcome) finish(2);
}

void master_link::receive_loop() {
  for (;;) {
    proto::received r = transport_.receive();
    if (auto* error = std::get_if<proto::decode_error>(&r.content)) {
      on_undecodable(*error);
      continue;
    }
    last_heard_ = clock_.now();
    on_message(std::move(std::get<proto::message>(r.content)));
  }
}

void master_link::beat_loop() {
  auto hello_backoff = first_hello_backoff;
  bool hinted = false;  // once per search: said again if the master is lost again later
  for (;;) {
    const auto now = clock_.now();
    const auto silence = heartbeat_interval_ * options_.heartbeat_misses;
    if (!registered_ && !hinted && now - looking_since_ > no_answer_hint_after) {
      hinted = true;
      log("no answer from the master at " + options_.master_address + " for " +
          std::to_string(no_answer_hint_after.count()) + " s: " + options_.no_answer_hint +
          " (still trying)");
    }
    if (leaving_) {
      // After the goodbye no hello (the master no longer knows this worker), but a heartbeat
      // while the users drain for the final report: a master waiting for that report tells a
      // leaver still draining from one that died (Kubernetes' SIGKILL after its grace), and
      // need not wait out the drain bound for the dead.
      if (registered_)
        send(proto::message_type::heartbeat, proto::heartbeat_payload{users(), cpu_.sample()});
      clock_.sleep_for(heartbeat_interval_);
      continue;
    }
    if (registered_ && now - last_heard_ > silence) {
      looking_since_ = now;
      log("no word from the master for " + std::to_string(silence.count()) +
          " ms: stopping users, saying hello again");
      registered_ = false;
      if (load_ && load_->current_run() != 0) load_->stop(load_->current_run());
    }
    if (registered_) {
      hello_backoff = first_hello_backoff;
      hinted = false;
      // A report that left since the last beat said all a heartbeat says (the master counts
      // it as a sign of life): at one report a second, that halves what a worker sends on the
      // control plane and what the master's ZeroMQ thread handles per worker. The master then
      // hears from this worker at most two intervals apart, inside its three.
      if (!reported_since_beat_)
        send(proto::message_type::heartbeat, proto::heartbeat_payload{users(), cpu_.sample()});
      reported_since_beat_ = false;
      clock_.sleep_for(heartbeat_interval_);
    } else {
      welcomed_.reset();
      send(proto::message_type::hello,
           proto::hello_payload{options_.host, ::getpid(), options_.threads, incarnation_});
      // Woken by the welcome: sleeping out the back-off (up to 1 s), the first heartbeat came
      // later than a master beating every 50 ms waits (3 beats), and the worker flapped between
      // missing and rejoined (hunt).
      clock_.wait_until(welcomed_, clock_.now() + hello_backoff);
      hello_backoff = std::min(hello_backoff * 2, max_hello_backoff);
    }
  }
}

int master_link::run() {
  log("worker " + options_.worker_id + " connecting to " + options_.master_address);
  last_heard_ = clock_.now();
  looking_since_ = last_heard_;
  receiver_ = green::spawn([this] { receive_loop(); });
  beats_ = green::spawn([this] { beat_loop(); });
  int code = 0;
  try {
    code = done_.wait();
  } catch (...) {
    stop_threads();  // killed: the loops must not outlive the run that made them
    throw;
  }
  stop_threads();
  // A stop under way: let its final report leave before the process goes.
  if (code == 0 && load_ && load_->stopping()) {
    final_left_.reset();
    clock_.wait_until(final_left_, clock_.now() + final_report_grace);
  }
  if (load_) log("sent stats of " + std::to_string(load_->requests_reported()) + " requests");
  return code;
}

std::string master_link::state() const {
  if (registered_) return "registered with the master at " + options_.master_address;
  const auto looking =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.now() - looking_since_);
  return "looking for the master at " + options_.master_address + ": no answer for " +
         std::to_string(looking.count()) + " s";
}

void master_link::stop() {
  if (leaving_) return;
  leaving_ = true;
  send(proto::message_type::goodbye);
  // Without a master (never reached, or lost) there was nobody to hear it: the log said it was
  // said all the same. It goes anyway, for a master that may be answering just now.
  log(registered_ ? "leaving: said goodbye to the master"
                  : "leaving: no master answers at " + options_.master_address +
                        ", so no goodbye was heard");
  const std::uint64_t run = load_ ? load_->current_run() : 0;
  if (registered_ && run != 0 && final_run_ != run) {
    log("stopping the users for their final report (interrupt again to send it without waiting "
        "for their requests)");
    if (!load_->stopping()) load_->stop(run);
    while (final_run_ != run) {  // the stop always ends in a final report, after its drain
      final_left_.reset();
      final_left_.wait();
    }
  }
  finish(0);
}

void master_link::leave_now() {
  log(done_.ready() ? "leaving now, without waiting for the users' requests"
                    : "leaving now: the final report goes without the requests in flight");
  if (load_) load_->leave_now();
  finish(0);
}

void master_link::close() {
  if (load_) load_->close();
  load_.reset();
}

}  // namespace swarmlet::worker
