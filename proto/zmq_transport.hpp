#pragma once
// The transport over ZeroMQ: the master binds a ROUTER (control) and a PULL (stats); a worker
// connects a DEALER whose routing id is its worker id, and a PUSH. Framing (the identity frame,
// one frame per message), socket options, reconnection and CURVE live here, nowhere else.
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <zmq.hpp>

#include "common/green/zmq_socket.hpp"
#include "curve_keys.hpp"
#include "transport.hpp"

namespace swarmlet::proto {

struct zmq_master_options {
  std::string bind = "127.0.0.1";
  int control_port = 5557;             ///< 0: any free port (see control_endpoint())
  int stats_port = 5558;               ///< 0: any free port
  std::optional<curve_keypair> curve;  ///< set: both planes are CURVE servers (encrypted)
};

/// A plane's port could not be bound; what() names it: "127.0.0.1:5558 (the stats port):
/// Address already in use".
class bind_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class zmq_master_transport final : public master_transport {
 public:
  /// Binds both planes on this thread's hub. Throws bind_error when a port is taken.
  zmq_master_transport(zmq::context_t& context, const zmq_master_options& options);

  received receive_control() override;
  std::variant<stats_bytes, decode_error> receive_stats() override;
  bool send(const std::string& worker, const message& m) override;
  int stats_port() const override;

  /// Where the planes are bound, with the ports the kernel chose for 0 (tcp://HOST:PORT).
  std::string control_endpoint() const { return control_.last_endpoint(); }
  std::string stats_endpoint() const { return stats_.last_endpoint(); }

 private:
  green::zmq_socket control_;
  green::zmq_socket stats_;
};

/// CURVE on both planes, seen from a worker: the master's public key and the worker's own pair.
struct curve_client_keys {
  std::string master_public_key;
  curve_keypair own;  ///< made up for this process when the master admits any key
};

struct zmq_worker_options {
  std::string control_endpoint;  ///< e.g. tcp://127.0.0.1:5557
  std::string stats_endpoint;    ///< empty: the port the master's welcome says, on its host
  std::string worker_id;         ///< the control socket's routing id: unique per process
  std::optional<curve_client_keys> curve;  ///< set: encrypted (the master must use CURVE too)
};

/// Whether a worker dials `endpoint` (tcp://HOST:PORT) over IPv6: for an IPv6 literal
/// ([::1]), or a name with no IPv4 address. ZeroMQ resolves a name to one family only: with
/// IPv6 on, `localhost` that /etc/hosts also maps to ::1 dials only [::1], and a master on
/// 127.0.0.1 (the default) is never reached. (With IPv6 on, ZeroMQ takes IPv4 addresses
/// mapped in when a name has no IPv6 one.)
bool dials_ipv6(const std::string& endpoint);

class zmq_worker_transport final : public worker_transport {
 public:
  /// Connects the control plane (and the stats plane when its endpoint is known). ZeroMQ
  /// reconnects by itself while the master is away. Throws zmq::error_t for a bad endpoint.
  zmq_worker_transport(zmq::context_t& context, zmq_worker_options options);

  received receive() override;
  bool send(const message& m) override;
  void push_stats(std::string frame) override;
  void use_stats_port(int port) override;

 private:
  void connect_stats(const std::string& endpoint);

  zmq_worker_options options_;
  green::zmq_socket control_;
  green::zmq_socket stats_;
  std::string stats_connected_;  ///< the endpoint the stats socket is connected to
};

}  // namespace swarmlet::proto
