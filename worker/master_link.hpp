#pragma once
// `swarmlet worker`: connects to the master's two planes, says hello until welcomed (the welcome
// carries the scenario), then spawns and stops users on command, sends heartbeats, and pushes
// stats. If the master goes silent it stops its users (no orphan keeps loading a target), keeps
// its unsent stats queued, and says hello again until a master answers.
#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <zmq.hpp>

#include "common/green/event.hpp"
#include "common/green/hub.hpp"
#include "common/green/zmq_socket.hpp"
#include "cpu_meter.hpp"
#include "proto/codec.hpp"
#include "proto/curve_keys.hpp"
#include "runtime.hpp"

namespace swarmlet::worker {

/// CURVE on both planes: the master's public key, and this worker's own pair.
struct curve_client_keys {
  std::string master_public_key;
  proto::curve_keypair own;  ///< made up for this process when the master admits any key
};

struct agent_options {
  std::string control_endpoint;  ///< e.g. tcp://127.0.0.1:5557
  std::string
      stats_endpoint;     ///< e.g. tcp://127.0.0.1:5558; empty: the port the master's welcome says
  std::string worker_id;  ///< unique per process; made from host, pid and randomness if empty
  int threads = 1;
  std::chrono::milliseconds report_interval{1000};
  int heartbeat_misses = 3;
  green::hub_options hub;
  std::ostream* log = nullptr;
  std::optional<curve_client_keys> curve;  ///< set: encrypted links (the master must use CURVE too)
};

class agent final : public proto::report_sink {
 public:
  agent(zmq::context_t& context, agent_options options);
  ~agent() override;

  /// Serves until the master says quit (returns 0), refuses this worker (1), or stop() (0).
  int run();
  /// Ctrl-C: says goodbye so the master re-spreads at once, stops the users, returns from run().
  void stop();
  void deliver(proto::stats_report report) override;
  const std::string& id() const noexcept { return options_.worker_id; }
  /// Users running on this worker now.
  int users() const noexcept { return runtime_ ? runtime_->users() : 0; }
  bool registered() const noexcept { return registered_; }

 private:
  void receive_loop();
  void connect_stats(const std::string& endpoint);
  void on_welcome(const proto::welcome_payload& w);
  void send(const proto::message& m);
  void log(const std::string& line);

  agent_options options_;
  green::zmq_socket control_;
  green::zmq_socket stats_;
  std::unique_ptr<runtime> runtime_;
  std::string stats_connected_;  ///< the endpoint the stats socket is connected to
  cpu_meter cpu_;
  std::string scenario_yaml_;
  std::string data_dir_;
  bool registered_ = false;
  std::chrono::milliseconds heartbeat_interval_{1000};
  green::time_point last_heard_{};
  green::event<int> done_;
};

/// host-pid-random: unique per process, readable in the master's logs.
std::string make_worker_id();

}  // namespace swarmlet::worker
