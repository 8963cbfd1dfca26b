#pragma once
// The WebSocket steps of a YAML user (`ws`, `send`, `expect`, `close`): the user's one
// WebSocket, and the records of its steps in the hub thread's stats, as requests of type WS.
// A handshake is recorded under the `ws` step's name (its time: connect, TLS and upgrade); a
// send under "<that name> send" (the time to write it, its size), or, with `expect`, the time
// to the matching reply (the reply's size); an expect alone under "<that name> expect" (the time
// it waited). A close is not recorded. Failures of the server are recorded, never thrown.
// A WebSocket that is not open (its handshake failed, the server closed it, a reset, a
// protocol error, a `close` step) is opened again by the next step that needs it, as its `ws`
// step opened it and recorded as that step (that step alone: one failure per try): as k6's
// next iteration connects again, and as a keep-alive connection the server closed is. Each
// step on it failing at once, with no I/O, counted millions of requests a second that never
// reached the network (a refused handshake followed by a `close` task: 150,000 a second on one
// thread), and a server that refused once, during a deploy say, was never tried again.
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "common/config/scenario.hpp"
#include "common/green/ssl.hpp"
#include "common/http/websocket.hpp"
#include "common/stats/stats_table.hpp"

namespace swarmlet::worker {

struct user_variables;

class websocket_steps {
 public:
  /// `base`: the scenario's target (a `ws:` path is on its server); `expect_timeout`: how long
  /// an expect without a timeout waits.
  websocket_steps(http::url base, http::websocket_options options,
                  std::shared_ptr<green::tls_context> tls, std::chrono::microseconds expect_timeout,
                  stats::stats_table& stats, user_variables& vars);

  /// Runs the WebSocket step `spec` (spec.ws is set), its templates rendered in `rendered`
  /// (target with the query, headers, body). Parks on the socket. Records it (a close excepted)
  /// and returns false when it failed. With `intended` (the open model), its time counts from
  /// then.
  bool run(const config::request_spec& spec, const http::request& rendered,
           std::optional<std::chrono::steady_clock::time_point> intended);
  /// Closes the user's WebSocket, if one is open (its closing handshake bounded by 2 s).
  void close();

 private:
  struct outcome {
    std::string failure;  // empty: a success
    std::uint64_t bytes = 0;
  };
  outcome open(const config::request_spec& spec, const http::request& rendered);
  /// Opens the WebSocket again, as the last `ws` step did, if it is not open (it failed, never
  /// opened, or was closed since); records the handshake as that step. False when it is still
  /// not open (the failure is recorded).
  bool reopen_if_not_open();
  /// Records a step's outcome under `name`, its time from `start` (or from `intended`).
  void record(const config::request_spec& spec, const std::string& name, const outcome& o,
              std::chrono::steady_clock::time_point start,
              std::optional<std::chrono::steady_clock::time_point> intended);
  outcome send(const http::request& rendered);
  /// Waits for a message matching spec.check, skipping others, until its timeout.
  outcome expect(const config::request_spec& spec);
  std::string name_of(const config::request_spec& spec) const;

  http::url base_;
  http::websocket_options options_;
  std::shared_ptr<green::tls_context> tls_;
  std::chrono::microseconds expect_timeout_;
  stats::stats_table& stats_;
  user_variables& vars_;
  std::unique_ptr<http::websocket> ws_;
  std::string name_;                                 // the open WebSocket's name (its ws step's)
  const config::request_spec* opened_by_ = nullptr;  // its ws step (the scenario outlives us)
  http::request opened_with_;                        // that step's rendered target and headers
  http::ws_message message_;                         // reused
  config::regex_match_buffer match_buffer_;
};

}  // namespace swarmlet::worker
