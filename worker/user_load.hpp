#pragma once
// What a worker's link to its master drives: the users of one scenario (worker::runtime does
// it with hub threads; tests of the link put a fake in its place).
#include <cstdint>
#include <functional>
#include <memory>

#include "common/config/scenario.hpp"
#include "proto/messages.hpp"

namespace swarmlet::worker {

class user_load : public proto::worker_control {
 public:
  /// Users running now.
  virtual int users() const = 0;
  /// The run of the last spawn command (0: none yet).
  virtual std::uint64_t current_run() const = 0;
  /// Requests whose stats were sent (all runs): the worker's own count, for cross-checks.
  virtual std::uint64_t requests_reported() const = 0;
  /// Whether a stop is under way whose final report has not been delivered yet. A stop
  /// (proto::worker_control::stop) of the current run that is not already under way starts
  /// one; any other stop is ignored, and no report follows it.
  virtual bool stopping() const noexcept = 0;
  /// The worker leaves without waiting for its users (a second Ctrl-C): a stop under way sends
  /// its final report at once, with what the users have done, and when the load goes, users
  /// still running are ended at once, not given the grace of a request timeout.
  virtual void leave_now() = 0;
  /// Ends every user, as the destructor does, but parks the calling green thread meanwhile
  /// rather than block its OS thread: the hub it runs on goes on (a second Ctrl-C is still
  /// seen, and leave_now() cuts the users' grace short). Nothing runs after it.
  virtual void close() = 0;
};

/// Called (on the worker's control hub) when the users reach a spawn command's target.
using spawn_complete_callback = std::function<void(std::uint64_t run_id, int users)>;

/// Makes the users for a scenario: reports go to `sink`.
using user_load_factory = std::function<std::unique_ptr<user_load>(
    std::shared_ptr<const config::scenario> scenario, proto::report_sink& sink,
    spawn_complete_callback on_spawn_complete)>;

}  // namespace swarmlet::worker
