#include "websocket_steps.hpp"

#include <algorithm>

#include "common/config/duration.hpp"
#include "common/config/untrusted_json.hpp"
#include "request_executor.hpp"
#include "response_checks.hpp"

namespace swarmlet::worker {
namespace {

// How long a close waits for the server's: a server that never answers must not hold a user
// (nor the end of a test) for the whole io timeout.
constexpr std::chrono::seconds closing_handshake_timeout{2};

std::string failure_of(const http::ws_outcome& o) {
  return std::string(http::to_string(o.error)) + ": " + o.message;
}

}  // namespace

websocket_steps::websocket_steps(http::url base, http::websocket_options options,
                                 std::shared_ptr<green::tls_context> tls,
                                 std::chrono::microseconds expect_timeout,
                                 stats::stats_table& stats, user_variables& vars)
    : base_(std::move(base)),
      options_(std::move(options)),
      tls_(std::move(tls)),
      expect_timeout_(expect_timeout),
      stats_(stats),
      vars_(vars) {}

std::string websocket_steps::name_of(const config::request_spec& spec) const {
  if (!spec.ws->derived_name || name_.empty()) return spec.name;
  return name_ + " " + spec.name;
}

websocket_steps::outcome websocket_steps::open(const config::request_spec& spec,
                                               const http::request& rendered) {
  http::websocket_options o = options_;
  o.max_message = spec.ws->max_message;
  // A new WebSocket replaces the open one (dropped without a closing handshake).
  ws_ = std::make_unique<http::websocket>(base_, o, tls_);
  name_ = spec.name;
  opened_by_ = &spec;
  opened_with_.target = rendered.target;
  opened_with_.headers = rendered.headers;
  const auto r = ws_->open(rendered.target, rendered.headers);
  return {r.ok() ? std::string() : failure_of(r), 0};
}

websocket_steps::outcome websocket_steps::send(const http::request& rendered) {
  if (!ws_) return {"not_open: no WebSocket is open (a ws: step opens one)", 0};
  const auto r = ws_->send(rendered.body);
  return {r.ok() ? std::string() : failure_of(r), rendered.body.size()};
}

websocket_steps::outcome websocket_steps::expect(const config::request_spec& spec) {
  if (!ws_) return {"not_open: no WebSocket is open (a ws: step opens one)", 0};
  const auto timeout = spec.ws->timeout.value_or(expect_timeout_);
  const auto deadline = green::clock::now() + std::chrono::duration_cast<green::duration>(timeout);
  const bool wants_json =
      !spec.check.json.empty() ||
      std::any_of(spec.captures.begin(), spec.captures.end(),
                  [](const auto& c) { return c.from == config::capture_spec::source::json; });
  // A message judged by the request checks: its text is a body, its status the upgrade's.
  http::result as_response;
  as_response.response.status = 101;
  std::size_t skipped = 0;
  std::string last_mismatch;
  for (;;) {
    const auto r = ws_->receive(message_, deadline);
    if (!r.ok()) {
      if (r.error != http::ws_error::timeout) return {failure_of(r), 0};
      std::string failure =
          "timeout: no matching message within " + config::format_duration(timeout);
      if (skipped > 0)
        failure += " (" + std::to_string(skipped) + (skipped == 1 ? " other" : " others") +
                   ", the last: " + last_mismatch + ")";
      return {failure, 0};
    }
    as_response.response.body = std::move(message_.data);
    nlohmann::ordered_json parsed;
    const nlohmann::ordered_json* body_json = nullptr;
    if (wants_json) {
      parsed = config::parse_untrusted_ordered_json(as_response.response.body);
      if (!parsed.is_discarded()) body_json = &parsed;
    }
    std::string mismatch = first_failed_check(spec.check, as_response, body_json, match_buffer_);
    if (!mismatch.empty()) {
      // Another message (a broadcast, a heartbeat): skipped, as k6's handlers skip them.
      ++skipped;
      last_mismatch = std::move(mismatch);
      continue;
    }
    const std::uint64_t bytes = as_response.response.body.size();
    return {apply_captures(spec.captures, as_response, body_json, match_buffer_, vars_.values),
            bytes};
  }
}

bool websocket_steps::reopen_if_not_open() {
  if (!ws_ || ws_->is_open()) return true;
  const auto start = std::chrono::steady_clock::now();
  const http::request with = opened_with_;  // open() sets it again
  const outcome o = open(*opened_by_, with);
  record(*opened_by_, opened_by_->name, o, start, std::nullopt);
  return o.failure.empty();
}

bool websocket_steps::run(const config::request_spec& spec, const http::request& rendered,
                          std::optional<std::chrono::steady_clock::time_point> intended) {
  const config::ws_step& step = *spec.ws;
  if (step.what == config::ws_step::action::close) {
    // The next step that needs it opens it again (as k6's next iteration connects again): a
    // WebSocket closed for good left every later step failing at once, with no I/O.
    if (ws_) ws_->close(step.close_code, green::clock::now() + closing_handshake_timeout);
    return true;
  }
  if (step.what != config::ws_step::action::open && !reopen_if_not_open()) return false;
  const auto start = std::chrono::steady_clock::now();
  outcome o;
  switch (step.what) {
    case config::ws_step::action::open:
      o = open(spec, rendered);
      break;
    case config::ws_step::action::send:
      o = send(rendered);
      if (o.failure.empty() && step.expects) o = expect(spec);
      break;
    case config::ws_step::action::expect:
      o = expect(spec);
      break;
    case config::ws_step::action::close:
      break;
  }
  record(spec, name_of(spec), o, start, intended);
  return o.failure.empty();
}

void websocket_steps::record(const config::request_spec& spec, const std::string& name,
                             const outcome& o, std::chrono::steady_clock::time_point start,
                             std::optional<std::chrono::steady_clock::time_point> intended) {
  const auto now = std::chrono::steady_clock::now();
  const auto us = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(now - start).count());
  auto& entry = stats_.entry(spec.method, name);
  const bool failed = !o.failure.empty();
  if (intended) {
    const auto late = std::chrono::duration_cast<std::chrono::microseconds>(now - *intended);
    const auto corrected = std::max<std::uint64_t>(
        us, static_cast<std::uint64_t>(std::max<std::int64_t>(0, late.count())));
    entry.record_scheduled(corrected, us, o.bytes, failed);
  } else {
    entry.record(us, o.bytes, failed);
  }
  if (failed) stats_.record_error(spec.method, name, o.failure);
}

void websocket_steps::close() {
  if (ws_ && ws_->is_open()) ws_->close(1000, green::clock::now() + closing_handshake_timeout);
}

}  // namespace swarmlet::worker
