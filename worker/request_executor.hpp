#pragma once
// Runs one request of a scenario for one user: renders its templates, sends it, applies its
// checks and captures, and records the outcome in the hub thread's stats. A failure of the
// system under test is recorded, never thrown.
#include <chrono>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/config/scenario.hpp"
#include "common/config/user_random.hpp"
#include "common/http/client.hpp"
#include "common/stats/stats_table.hpp"
#include "websocket_steps.hpp"

namespace swarmlet::worker {

/// A user's variables: captures, its data row, user_id and iteration.
struct user_variables {
  std::unordered_map<std::string, std::string> values;
  config::user_random rng;
};

class request_executor {
 public:
  /// `ws` runs the WebSocket steps (none: they fail as not open).
  request_executor(http::client& client, stats::stats_table& stats, user_variables& vars,
                   websocket_steps* ws = nullptr)
      : client_(client), stats_(stats), vars_(vars), ws_(ws) {}

  /// Sends `spec` and records it. Returns false when it failed (transport, check or a capture
  /// that found nothing); what the user does next is the caller's (spec.on_failure).
  /// With `intended` (the open model), the response time is measured from that moment, so a
  /// late start is counted against the target, not hidden; the raw service time is kept too.
  bool run(const config::request_spec& spec,
           std::optional<std::chrono::steady_clock::time_point> intended = std::nullopt);

 private:
  void build(const config::request_spec& spec);
  /// The multipart body of `spec` and its Content-Type, with a fresh boundary.
  void build_multipart(const config::request_spec& spec, const config::render_context& ctx);
  /// Empty when the response passes its checks and captures, else why not (see
  /// response_checks).
  std::string judge(const config::request_spec& spec, const http::result& r);
  stats::request_stats& entry_of(const config::request_spec& spec);

  http::client& client_;
  stats::stats_table& stats_;
  user_variables& vars_;
  websocket_steps* ws_;
  http::request request_;                    // reused: its strings keep their capacity
  config::regex_match_buffer match_buffer_;  // reused by every regex this user matches
  std::string boundary_;                     // of the last multipart body
  std::unordered_map<const config::request_spec*, stats::request_stats*> entries_;
};

}  // namespace swarmlet::worker
