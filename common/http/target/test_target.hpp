#pragma once
// The built-in target of `swarmlet target`: routes for demos and tests, and a count of the
// requests it served so a test can compare a report's totals with the server's own.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "common/http/http_message.hpp"

namespace swarmlet::http {

/// Routes:
///   GET /                 200 "ok"
///   GET /items[?page=N]   200, a small JSON list
///   GET /cart             200 with "Authorization: Bearer ...", else 401
///   POST /login           JSON {"user": U, "password": P} -> 200 {"token": "token-U"}; else 400
///   ANY /delay/<ms>       200 after <ms> milliseconds (at most 60 s)
///   ANY /status/<code>    that status (100..599)
///   ANY /bytes/<n>        200 with n bytes of body (at most 64 MiB)
///   ANY /redirect/<n>     302 to /redirect/<n-1>, the last one to /
///   ANY /redirect-to?<URL>  302 to URL (any origin)
///   ANY /record/<anything>  200, and the request target (path and query) is counted by name
///   ANY /record-body/<anything>  200, counted by "METHOD TARGET\nCONTENT-TYPE\nBODY"
///   GET /__swarmlet/served  {"served": N}: requests served so far, not counting this route
///   GET /__swarmlet/recorded  {"recorded": {TARGET: N, ...}}: what /record/ saw, how often
/// Anything else: 404. Shared by every serving thread (the counter is atomic, the record
/// locked: only /record/ requests take the lock).
class test_target {
 public:
  /// Stall mode, to show coordinated omission: every `every`, all responses freeze for `length`
  /// (a request arriving in a stall is answered when it ends).
  void set_stall(std::chrono::microseconds every, std::chrono::microseconds length) {
    stall_every_ = every;
    stall_for_ = length;
  }
  void handle(const request& req, response& res);
  std::uint64_t served() const noexcept { return served_.load(std::memory_order_relaxed); }
  /// What /record/ saw: request target -> times.
  std::map<std::string, std::uint64_t> recorded() const;

 private:
  /// Distinct targets remembered at most (beyond, /record/ answers 507): a test's tool, not a
  /// log that grows without end.
  static constexpr std::size_t max_recorded = 1'000'000;

  std::atomic<std::uint64_t> served_{0};
  mutable std::mutex record_mutex_;
  std::map<std::string, std::uint64_t> recorded_;
  std::chrono::microseconds stall_every_{0}, stall_for_{0};
  std::chrono::steady_clock::time_point epoch_ = std::chrono::steady_clock::now();
};

}  // namespace swarmlet::http
