#pragma once
// A worker's side of its master, over a transport: says hello until welcomed (the welcome
// carries the scenario), then spawns and stops users on command, pushes stats, and sends a
// heartbeat in each interval no report went out in. If the master goes silent for a few
// heartbeats it stops its users (no orphan keeps loading a target), keeps its unsent stats
// queued, and says hello again until a master answers. Every decision reads the time from the
// clock it is given.
#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>

#include "common/green/clock_source.hpp"
#include "common/green/event.hpp"
#include "common/green/green_thread.hpp"
#include "common/green/hub.hpp"
#include "cpu_meter.hpp"
#include "proto/codec.hpp"
#include "proto/report_names.hpp"
#include "proto/transport.hpp"
#include "user_load.hpp"

namespace swarmlet::worker {

struct master_link_options {
  std::string worker_id;  ///< unique per process (make_worker_id()); the transport's identity,
                          ///< or the master drops every message (required)
  std::string host;       ///< said in the hello, for the master's logs; empty: this host's name
  int threads = 1;
  int heartbeat_misses = 3;    ///< the master silent this many of its intervals: it is gone
  std::string master_address;  ///< the master as log lines name it
  /// Said when no master answered for a while (what to check).
  std::string no_answer_hint = "is it running there?";
  std::ostream* log = nullptr;
};

class master_link final : public proto::report_sink {
 public:
  /// `transport` and `clock` must outlive the link; `make_load` builds the users of each
  /// scenario the master sends. Throws std::invalid_argument without a worker id.
  master_link(proto::worker_transport& transport, green::clock_source& clock,
              master_link_options options, user_load_factory make_load);
  /// Ends run()'s green threads, then the users.
  ~master_link() override;
  master_link(const master_link&) = delete;
  master_link& operator=(const master_link&) = delete;

  /// Serves until the master says quit (returns 0), refuses this worker (1), its scenario does
  /// not load here (2), or stop() (0). Parks the calling green thread.
  int run();
  /// Ctrl-C: says goodbye so the master re-spreads at once, stops the users and, as Locust's
  /// worker does, sends their final report (what they did since the last one would be lost
  /// otherwise, and the master would not know it), then ends run(). Parks while the users
  /// finish their requests (bounded by the scenario's stop drain); leave_now() cuts that short.
  void stop();
  /// A second Ctrl-C: ends run() now, without waiting for the final report. After run(), it
  /// cuts short the users' grace that close() gives them.
  void leave_now();
  /// After run(): ends the users, who get the grace of a request timeout to finish the one they
  /// are in, as the destructor would, but parks the calling green thread meanwhile instead of
  /// blocking the hub's OS thread, so that a Ctrl-C (leave_now()) is still seen.
  void close();
  /// A stats report of the users: pushed on the stats plane (parks while it is full).
  void deliver(proto::stats_report report) override;

  const std::string& id() const noexcept { return options_.worker_id; }
  /// Users running on this worker now.
  int users() const noexcept { return load_ ? load_->users() : 0; }
  bool registered() const noexcept { return registered_; }
  /// In a sentence: "registered with the master at ADDRESS", or "looking for the master at
  /// ADDRESS: no answer for N s" (what health answers say).
  std::string state() const;
  /// The users of the current scenario, if one was installed.
  user_load* load() noexcept { return load_.get(); }

 private:
  void receive_loop();
  void beat_loop();
  void on_message(proto::message m);
  void on_welcome(const proto::welcome_payload& w);
  void on_spawn(const proto::spawn_command& c);
  /// A message from the master that did not decode: logged, and said to the master.
  void on_undecodable(const proto::decode_error& error);
  void send(proto::message_type type, proto::payload body = proto::empty_payload{});
  void finish(int code);
  void stop_threads();
  void log(const std::string& line);

  proto::worker_transport& transport_;
  green::clock_source& clock_;
  master_link_options options_;
  user_load_factory make_load_;
  std::unique_ptr<user_load> load_;
  std::string installed_;  ///< scenario + target of load_: a welcome with the same keeps it
  cpu_meter cpu_;
  proto::report_names report_names_;  ///< request names by number, per run, on the stats plane
  /// This link's process, for the master (proto::hello_payload::incarnation): drawn once.
  std::uint64_t incarnation_ = draw_incarnation();
  static std::uint64_t draw_incarnation();
  bool registered_ = false;
  bool leaving_ = false;              ///< stop() was called
  bool reported_since_beat_ = false;  ///< a stats report left since the last heartbeat was due
  std::chrono::milliseconds heartbeat_interval_{1000};
  green::time_point last_heard_{};
  green::time_point looking_since_{};  ///< when run() began, or the master last went silent
  green::event<int> done_;
  green::event<> final_left_;                   ///< a final report was delivered
  green::event<> welcomed_;                     ///< a welcome came since the last hello
  std::uint64_t final_run_ = 0;                 ///< the run of the last final report
  green::green_thread<void> receiver_, beats_;  ///< while run() runs
};

/// host-pid-random: unique per process, readable in the master's logs.
std::string make_worker_id();

}  // namespace swarmlet::worker
