#pragma once
// Which workers the master knows, and which of them are alive: pure bookkeeping with the
// time passed in, so heartbeat timeouts are tested without waiting.
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "proto/codec.hpp"
#include "records_by_id.hpp"

namespace swarmlet::master {

struct worker_info {
  enum class state { ready, missing };
  std::string id;
  std::string host;
  std::int64_t pid = 0;
  std::uint64_t incarnation = 0;  ///< of its process (proto::hello_payload): 0, not said
  /// The process the latest restart replaced (its incarnation, pid and host): one that says
  /// hello again was not dead, and two processes run under this id.
  std::uint64_t replaced_incarnation = 0;
  std::int64_t replaced_pid = 0;
  std::string replaced_host;
  int threads = 1;
  int users = 0;
  double cpu_percent = 0;  ///< at its last heartbeat or report (100: one core)
  state status = state::ready;
  std::chrono::steady_clock::time_point last_heard{};
};

class worker_registry {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  /// A hello: registers the worker, or re-admits a missing one. True when it was not ready.
  bool hello(const std::string& id, const proto::hello_payload& h, time_point now);
  /// Whether a hello `h` for `id` comes from another process than the one registered under
  /// it (both said their incarnation, and they differ): a restart, or two processes given
  /// the same --id.
  bool another_process(const std::string& id, const proto::hello_payload& h) const {
    return another_process(id, h.incarnation);
  }
  /// As above, for a message that says its process's incarnation (a stats report).
  bool another_process(const std::string& id, std::uint64_t incarnation) const;
  /// Whether `h` comes from the process a restart of `id` replaced: it is alive, and so two
  /// processes were given the id (a dead process says no hello).
  bool replaced_process_is_back(const std::string& id, const proto::hello_payload& h) const;
  /// Any message from a known worker counts as a sign of life. False for an unknown one. One
  /// that says `incarnation`, another process's than the registered one (a late report of the
  /// process a restart replaced), is known but says nothing of the registered one.
  bool heard(const std::string& id, time_point now, int users = -1, double cpu_percent = -1,
             std::uint64_t incarnation = 0);
  /// Marks workers silent for longer than `timeout` as missing; returns their ids.
  std::vector<std::string> expire(time_point now, std::chrono::steady_clock::duration timeout);
  /// The worker said goodbye.
  void remove(const std::string& id);

  bool known(const std::string& id) const { return workers_.find(id) != nullptr; }
  bool ready(const std::string& id) const;
  std::vector<const worker_info*> ready_workers() const;
  const std::map<std::string, worker_info>& all() const noexcept { return workers_.ordered(); }

 private:
  records_by_id<worker_info> workers_;
};

}  // namespace swarmlet::master
