#pragma once
// The master's side of its workers, over a transport: hello/welcome, heartbeats both ways,
// spawn/stop/quit to one worker, stats in. Registered workers join the test runner; silent ones
// are marked missing and their users re-spread; stats from unknown workers or other runs are
// rejected; bad frames are counted and dropped, never trusted. Every decision reads the time
// from the clock it is given, so it is tested step by step on a manual clock.
#include <chrono>
#include <cstdint>
#include <deque>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/green/clock_source.hpp"
#include "common/green/event.hpp"
#include "common/green/green_thread.hpp"
#include "proto/codec.hpp"
#include "proto/stats_frame.hpp"
#include "proto/transport.hpp"
#include "test_runner.hpp"
#include "worker_registry.hpp"

namespace swarmlet::master {

struct worker_link_options {
  std::chrono::milliseconds heartbeat_interval{1000};
  int heartbeat_misses = 3;  ///< silent this many intervals: missing
  /// Descriptors the master keeps for itself (report files, web UI and API clients): a worker
  /// that would leave fewer is not registered (it is told, and says hello again later).
  int descriptors_kept = 8;
};

class worker_link {
 public:
  /// Starts serving `transport` on this thread's hub; `welcome` is what joining workers get.
  /// `transport` and `clock` must outlive the link.
  worker_link(proto::master_transport& transport, green::clock_source& clock,
              worker_link_options options, proto::welcome_payload welcome, std::ostream* log);
  ~worker_link();
  worker_link(const worker_link&) = delete;
  worker_link& operator=(const worker_link&) = delete;

  /// Registered workers take part in `runner`'s test from now on.
  void attach(test_runner& runner);
  /// A new scenario (or target) for the next test: every ready worker is welcomed with it again
  /// (a worker keeps its hub threads when nothing changed), and so is every worker that joins.
  void set_welcome(proto::welcome_payload welcome);
  /// Parks until `count` workers are ready; false when `timeout` passed first.
  bool wait_for_workers(int count, std::chrono::steady_clock::duration timeout);
  /// Tells every ready worker to exit.
  void quit_all();

  /// Frames that were not messages, or messages out of place, dropped so far.
  std::uint64_t bad_frames() const noexcept { return bad_frames_; }
  /// Stats reports from unknown workers or of another run, dropped so far.
  std::uint64_t rejected_stats() const noexcept { return rejected_stats_; }
  /// The workers known, ready or missing.
  const worker_registry& registry() const noexcept { return registry_; }

 private:
  class remote_worker;
  void control_loop();
  void stats_loop();
  void heartbeat_loop();
  void on_message(const std::string& id, proto::message m);
  void on_hello(const std::string& id, const proto::hello_payload& h);
  /// Once per id: the process a restart of `id` replaced said hello `h` again.
  void warn_of_two_processes(const std::string& id, const proto::hello_payload& h);
  void on_heartbeat(const std::string& id, const proto::heartbeat_payload& h);
  void on_spawn_complete(const std::string& id, const proto::spawn_complete_payload& c);
  void on_goodbye(const std::string& id);
  /// A worker gone for good (goodbye, or it could not run the test): out of the registry, its
  /// name free, and its late frames (a last heartbeat, a final report) known for its own.
  void forget(const std::string& id);
  /// What a line about a worker gone says of its users ("" unless a test runs on).
  std::string where_its_users_go() const;
  /// The report in stats_: read whole (`refused_why` null), or refused past its header for
  /// `refused_why` (stats_frame::header_read), when it still says its worker is alive and counts
  /// as a report lost.
  void on_stats(const std::string* refused_why);
  /// With CURVE and an allow-list, a worker name belongs to the key it first said hello with:
  /// why a frame in `id`'s name that came with `key` is not taken (a hello binds a new name),
  /// or nothing when it is.
  std::optional<std::string> foreign_key(const std::string& id, const std::string& key, bool binds);
  /// A frame that is not a message: counted; one of another version gets a refusal.
  void on_undecodable(const std::string& peer, const proto::decode_error& error);
  /// An error a registered worker sent: a command it refused is warned of; a welcome it
  /// refused (its test does not load there) too, and the worker, which exits, is let go at once.
  void on_worker_error(const std::string& id, const proto::error_payload& e);
  void send_to(const std::string& id, proto::message_type type,
               proto::payload body = proto::empty_payload{});
  void bad_frame(const std::string& peer, const std::string& reason);
  /// What every welcome says of this master: its heartbeat interval and its stats port.
  void stamp(proto::welcome_payload& welcome) const;
  void log(const std::string& line);
  /// Logs, and tells the test (console, web UI, JSON) when there is one.
  void warn(const std::string& text);
  /// Whether a worker joining now leaves the master the descriptors it keeps; if not, it warns.
  bool descriptors_for_a_worker(const std::string& id);
  /// At every beat: warns when the master has fewer descriptors left than it keeps.
  void check_descriptors();

  proto::master_transport& transport_;
  green::clock_source& clock_;
  worker_link_options options_;
  proto::welcome_payload welcome_;
  std::ostream* log_;
  worker_registry registry_;
  std::map<std::string, std::unique_ptr<remote_worker>> remotes_;
  test_runner* runner_ = nullptr;
  green::event<> worker_joined_;
  std::map<std::string, int> spawned_;  // users per worker at its last spawn_complete
  /// Their sum when last logged: wide, as each worker's count is bounded (proto) and their sum
  /// over many workers is not.
  std::int64_t last_spawned_total_ = -1;
  std::set<std::string> turned_away_;  ///< workers not taken for lack of descriptors
  /// Workers that said goodbye (the latest few thousand): a worker leaving sends its users'
  /// final report after its goodbye, and that report still counts.
  std::set<std::string> said_goodbye_;
  std::set<std::string> two_processes_warned_;  ///< ids two live processes were seen under
  /// Warnings of workers that could not run the test, said while no test was attached: the
  /// next test's (it runs without them).
  std::vector<std::string> unwarned_failures_;
  std::deque<std::string> goodbye_order_;
  /// Workers that said goodbye and have not sent this run's final report yet: when each was
  /// last heard (a leaver beats while its users drain). One silent for the misses a worker
  /// may have died: the test no longer waits for its report (test_runner::leaver_went_silent).
  std::map<std::string, green::time_point> leavers_heard_;
  std::map<std::string, std::string> keys_;  ///< worker name -> its CURVE key (see foreign_key)
  static constexpr std::size_t max_bound_names = 4096;
  std::uint64_t bad_frames_ = 0;
  std::uint64_t restarts_ = 0;           ///< workers restarted under their id (see on_hello)
  std::set<std::string> refused_peers_;  ///< of another protocol version, named once each
  std::uint64_t rejected_stats_ = 0;
  proto::stats_frame stats_;  ///< the report being read: reused, so reading one allocates little
  green::green_thread<void> control_thread_, stats_thread_, heartbeat_thread_;
};

}  // namespace swarmlet::master
