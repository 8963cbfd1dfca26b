#pragma once
// The transport's in-memory twin: one master and any number of workers in one process, on one
// hub. Every message is encoded when sent and decoded when received, exactly as over ZeroMQ,
// so tests exercise the real codec. It behaves as the ZeroMQ transport does where the links
// depend on it: control messages to or from nobody are dropped, stats pushed while no master
// listens wait for one. And it has the faults a network has, for tests: a worker's paths can
// be held (frames delivered, in order, when healed: what TCP does across a short silent
// partition) or cut (frames dropped: what happens to those in a connection's buffers when it
// breaks and ZeroMQ reconnects), and raw bytes can be injected on any path. Frames held for a
// master or worker that is gone meanwhile reach whoever listens under that name after the heal;
// over ZeroMQ, those still queued in the socket do the same, those in the dead connection's
// kernel buffers are lost (cut them to model that). One thing it does not model: the two planes
// are separate connections over ZeroMQ and may overtake each other; in memory, each path keeps
// its order, and only a hold of one path makes frames of the other overtake it.
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>

#include "common/green/queue.hpp"
#include "transport.hpp"

namespace swarmlet::proto {

class memory_network {
 public:
  /// The paths between a worker and the master.
  enum path : unsigned {
    control_up = 1,    ///< worker -> master, control plane
    control_down = 2,  ///< master -> worker, control plane
    stats_up = 4,      ///< worker -> master, stats plane
    every_path = 7,
  };
  enum class fault { drop, hold };

  /// Must outlive every end it made.
  memory_network() = default;
  memory_network(const memory_network&) = delete;
  memory_network& operator=(const memory_network&) = delete;

  /// The master's end; one at a time (a master restart is a new one after the old is gone).
  /// Stats that waited for a master reach this one.
  std::unique_ptr<master_transport> listen();
  /// A worker's end, `worker_id` its identity on the control plane; `key` stands for the CURVE
  /// key its connections were admitted with (what the master learns from ZAP), "" for none.
  std::unique_ptr<worker_transport> connect(const std::string& worker_id,
                                            const std::string& key = "");

  /// Partitions `paths` of one worker: frames on them are dropped, or held until heal(). A
  /// later call for other paths leaves these as they are.
  void partition(const std::string& worker_id, unsigned paths, fault how);
  /// Ends every partition of the worker; held frames go on, in the order they were sent.
  void heal(const std::string& worker_id);

  /// Raw bytes as if sent on a path (bad frames, other versions).
  void inject_control(const std::string& from_worker, std::string bytes);
  void inject_stats(std::string bytes);
  void inject_to_worker(const std::string& worker_id, std::string bytes);

  /// Frames dropped so far: by a partition, or sent to nobody.
  std::uint64_t dropped() const noexcept { return dropped_; }
  /// Stats frames waiting for the master (none listens, or held by a partition).
  std::size_t stats_waiting() const;

 private:
  class master_end;
  class worker_end;
  struct frame {
    std::string peer;
    std::string bytes;
    std::string key;  ///< the sender's, up (see connect)
  };
  struct link {
    worker_end* end = nullptr;
    std::map<path, fault> cut;  ///< the paths partitioned, each with its own fault
    std::deque<std::pair<path, frame>> held;
  };
  /// Sends `f` on `p` of `worker`'s link, as the partitions say.
  void carry(const std::string& worker, path p, frame f);
  void deliver(const std::string& worker, path p, frame f);

  master_end* master_ = nullptr;
  std::map<std::string, link> links_;
  std::deque<frame> stats_waiting_for_master_;
  std::uint64_t dropped_ = 0;
};

}  // namespace swarmlet::proto
