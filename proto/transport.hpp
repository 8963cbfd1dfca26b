#pragma once
// How master and workers reach each other, apart from what they say (codec.hpp) and decide
// (master/worker_link, worker/master_link). Two planes: control (master ROUTER, worker DEALER:
// one worker addressed at a time) and stats (every worker PUSHes, the master PULLs).
// Implementations: ZeroMQ (zmq_transport.hpp) and an in-memory twin that runs the same codec
// over every message (memory_transport.hpp), so the link logic is tested without sockets.
// Every call parks only the calling green thread.
#include <string>
#include <variant>

#include "codec.hpp"

namespace swarmlet::proto {

/// One frame as it arrived: a message, or why its bytes were not one. `peer` is who sent it
/// where the transport knows (the control plane's connection identity); empty on the stats
/// plane, where only the message's own sender field names it.
struct received {
  std::string peer;
  std::variant<message, decode_error> content;
  /// The sender's CURVE public key (Z85) as the master's ZAP handler admitted it; empty
  /// without CURVE or an allow-list.
  std::string key;
};

/// One frame of the stats plane as it arrived, undecoded, with its sender's key (as above).
struct stats_bytes {
  std::string bytes;
  std::string key;
};

/// The master's end of both planes.
class master_transport {
 public:
  virtual ~master_transport() = default;
  /// Parks until the next frame on the control plane.
  virtual received receive_control() = 0;
  /// Parks until the next frame on the stats plane: its bytes, undecoded (the master reads
  /// reports in place, stats_frame.hpp), or why it is not one frame.
  virtual std::variant<stats_bytes, decode_error> receive_stats() = 0;
  /// Sends `m` to one worker on the control plane. Control messages are only worth sending
  /// while they are fresh: false when it could not leave within a short time (and it is dropped).
  virtual bool send(const std::string& worker, const message& m) = 0;
  /// The port workers push stats to (said in the welcome); 0 when there is none to say.
  virtual int stats_port() const = 0;
};

/// A worker's end of both planes.
class worker_transport {
 public:
  virtual ~worker_transport() = default;
  /// Parks until the next frame from the master on the control plane.
  virtual received receive() = 0;
  /// Sends `m` to the master on the control plane; false when it could not leave within a
  /// short time (it is dropped: a stale hello or heartbeat is worth nothing).
  virtual bool send(const message& m) = 0;
  /// Sends a stats message, encoded (encode_stats()); parks while the plane is full. Stats
  /// wait, they never vanish here.
  virtual void push_stats(std::string frame) = 0;
  /// The master's welcome said where it takes stats; a transport told its stats endpoint up
  /// front ignores this.
  virtual void use_stats_port(int port) = 0;
};

}  // namespace swarmlet::proto
