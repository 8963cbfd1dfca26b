#pragma once
// What the `swarmlet` functions need to know of the user whose Lua code calls them: its id,
// its HTTP client, the green threads it spawned (they die with it), and how to stop it.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/green/green_thread.hpp"
#include "common/http/client.hpp"

namespace swarmlet::stats {
struct request_stats;
class stats_table;
}  // namespace swarmlet::stats

namespace swarmlet::script {

/// A response judged by the script (`catch = true`), recorded at r:success(), r:failure(msg),
/// or else, with the default judgement, at the user's next request or at the end of the task.
struct pending_response {
  std::uint64_t sequence = 0;
  stats::stats_table* table = nullptr;
  stats::request_stats* entry = nullptr;
  std::string method, name;
  std::uint64_t elapsed_us = 0;
  std::uint64_t bytes = 0;
  std::string default_failure;  ///< empty: a success by default
};

struct user_context {
  std::uint64_t id = 0;
  http::client* http = nullptr;  ///< null for code that runs outside a user (setup)
  /// Asked by sw.stop_user(): the user stops after the current task.
  std::function<void()> stop;
  std::vector<green::green_thread<void>> children;
  std::optional<pending_response> pending;
  std::uint64_t next_sequence = 0;

  /// Records the pending response (if any) with its default judgement.
  void settle();
  /// Kills every green thread the user spawned that is still alive.
  void kill_children();
};

}  // namespace swarmlet::script
