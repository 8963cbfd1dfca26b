#pragma once
// The master's two ZeroMQ planes on its hub: control (ROUTER: hello/welcome, heartbeats both
// ways, spawn/stop/quit to one worker) and stats (PULL from every worker's PUSH). Registered
// workers join the test runner; silent ones are marked missing and their users re-spread.
// Bad frames are counted and dropped, never trusted.
#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <zmq.hpp>

#include "common/green/green_thread.hpp"
#include "common/green/zmq_socket.hpp"
#include "proto/codec.hpp"
#include "proto/curve_keys.hpp"
#include "test_runner.hpp"
#include "worker_registry.hpp"

namespace swarmlet::master {

struct control_options {
  std::string bind = "127.0.0.1";
  int control_port = 5557;  ///< 0: any free port (see control_endpoint())
  int stats_port = 5558;
  std::chrono::milliseconds heartbeat_interval{1000};
  int heartbeat_misses = 3;                   ///< silent this many intervals: missing
  std::optional<proto::curve_keypair> curve;  ///< set: both planes are CURVE servers (encrypted)
};

class control_server {
 public:
  /// Binds both planes and starts serving. Throws zmq::error_t when a port is taken.
  control_server(zmq::context_t& context, control_options options, proto::welcome_payload welcome,
                 std::ostream* log);
  ~control_server();

  /// Registered workers take part in `runner`'s test from now on.
  void attach(test_runner& runner);
  /// A new scenario (or target) for the next test: every ready worker is welcomed with it again
  /// (a worker keeps its hub threads when nothing changed), and so is every worker that joins.
  void set_welcome(proto::welcome_payload welcome);
  /// Parks until `count` workers are ready; false when `timeout` passed first.
  bool wait_for_workers(int count, std::chrono::steady_clock::duration timeout);
  /// Tells every ready worker to exit.
  void quit_all();

  std::string control_endpoint() const { return control_.last_endpoint(); }
  std::string stats_endpoint() const { return stats_.last_endpoint(); }
  std::uint64_t bad_frames() const noexcept { return bad_frames_; }
  std::uint64_t rejected_stats() const noexcept { return rejected_stats_; }
  const worker_registry& registry() const noexcept { return registry_; }

 private:
  class remote_worker;
  void control_loop();
  void stats_loop();
  void heartbeat_loop();
  void handle(const std::string& identity, proto::message m);
  void send_to(const std::string& identity, const proto::message& m);
  void bad_frame(const std::string& peer, const std::string& reason);
  /// What every welcome says of this master: its heartbeat interval and its stats port.
  void stamp(proto::welcome_payload& welcome) const;
  void log(const std::string& line);

  control_options options_;
  proto::welcome_payload welcome_;
  std::ostream* log_;
  green::zmq_socket control_;
  green::zmq_socket stats_;
  worker_registry registry_;
  std::map<std::string, std::unique_ptr<remote_worker>> remotes_;
  test_runner* runner_ = nullptr;
  green::event<> worker_joined_;
  std::map<std::string, int> spawned_;  // users per worker at its last spawn_complete
  int last_spawned_total_ = -1;
  std::uint64_t bad_frames_ = 0;
  std::uint64_t rejected_stats_ = 0;
  green::green_thread<void> control_thread_, stats_thread_, heartbeat_thread_;
};

}  // namespace swarmlet::master
