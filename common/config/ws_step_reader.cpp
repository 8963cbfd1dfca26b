#include "ws_step_reader.hpp"

#include <cstdint>
#include <set>

#include "request_reader.hpp"

namespace swarmlet::config::loading {
namespace {

/// expect: {contains, not_contains, regex, json, timeout}: what the awaited message must match.
void read_expect(const reader& r, const YAML::Node& n, request_spec& req) {
  if (!n.IsMap())
    r.fail(n, "expect must be a mapping, e.g. {contains: pong, timeout: 2s} ({} for any message)");
  r.check_keys(n, {"contains", "not_contains", "regex", "json", "timeout"}, "expect");
  check_spec& c = req.check;
  if (n["contains"]) c.body_contains = r.text(n["contains"], "expect.contains");
  if (n["not_contains"]) c.not_contains = r.text(n["not_contains"], "expect.not_contains");
  if (n["regex"]) c.body_regex = r.pattern(n["regex"], "expect.regex");
  if (n["json"]) read_json_checks(r, n["json"], c.json);
  if (n["timeout"]) {
    req.ws->timeout = r.duration(n["timeout"], "expect.timeout");
    if (req.ws->timeout->count() <= 0) r.fail(n["timeout"], "expect.timeout must be more than 0");
  }
}

}  // namespace

bool is_ws_step(const YAML::Node& n) {
  if (n.IsScalar()) return n.Scalar() == "close";
  return n.IsMap() && (n["ws"] || n["send"] || n["expect"] || n["close"]);
}

request_spec read_ws_step(const reader& r, const YAML::Node& n, bool as_task,
                          failure_action inherited) {
  request_spec req;
  req.method = "WS";
  req.where = r.location(n);
  req.on_failure = inherited;
  req.ws.emplace();
  ws_step& ws = *req.ws;
  if (n.IsScalar()) {  // `- close`
    ws.what = ws_step::action::close;
    ws.derived_name = true;
    req.name = "close";
    return req;
  }
  const bool send_expect = n["send"] && n["expect"];
  const int verbs =
      (n["ws"] ? 1 : 0) + (n["send"] ? 1 : 0) + (n["expect"] ? 1 : 0) + (n["close"] ? 1 : 0);
  if (verbs != 1 && !(verbs == 2 && send_expect))
    r.fail(n, "a WebSocket step takes one of ws, send, expect, close (or send with expect)");
  std::set<std::string> allowed{"name", "on_failure"};
  if (as_task) allowed.insert({"weight", "tags"});
  if (const auto path = n["ws"]) {
    allowed.insert({"ws", "headers", "query", "max_message"});
    r.check_keys(n, allowed, "a ws step");
    ws.what = ws_step::action::open;
    req.path = r.templ(path, "ws path");
    refuse_unsendable_target(r, path, "ws path", req.path);
    const std::string& p = req.path.source();
    if (p.empty() || (p[0] != '/' && p.rfind("ws://", 0) != 0 && p.rfind("wss://", 0) != 0))
      r.fail(path, "ws path '" + p +
                       "' must start with '/' (on the target's server) or be a ws:// or wss:// "
                       "URL");
    req.name = req.path.constant() ? req.path.render({}) : p;
    read_headers_and_query(r, n, req);
    if (n["max_message"])
      ws.max_message = static_cast<std::size_t>(
          r.integer(n["max_message"], "max_message (bytes)", 1, std::int64_t{1} << 30));
  } else if (const auto code = n["close"]) {
    allowed.insert("close");
    r.check_keys(n, allowed, "a close step");
    ws.what = ws_step::action::close;
    ws.derived_name = true;
    req.name = "close";
    if (!code.IsNull()) {
      const auto value = r.integer(code, "close (a close code, or nothing for 1000)", 1000, 4999);
      if (!sendable_close_code(value))
        r.fail(code, "close code " + std::to_string(value) +
                         " may not be sent (RFC 6455 7.4); "
                         "give " +
                         sendable_close_codes);
      ws.close_code = static_cast<std::uint16_t>(value);
    }
  } else {
    if (n["send"]) allowed.insert("send");
    if (n["expect"]) allowed.insert({"expect", "capture"});
    r.check_keys(n, allowed, n["send"] ? "a send step" : "an expect step");
    ws.derived_name = true;
    if (const auto m = n["send"]) {
      ws.what = ws_step::action::send;
      req.name = "send";
      if (m.IsScalar()) {
        req.body = r.templ(m, "send");
      } else {  // a mapping or a list: sent as JSON text
        req.json = to_json_body(r, m);
        collect_json_templates(r, m, *req.json, nlohmann::ordered_json::json_pointer(), req);
      }
    } else {
      ws.what = ws_step::action::expect;
      req.name = "expect";
    }
    if (const auto e = n["expect"]) {
      ws.expects = true;
      read_expect(r, e, req);
    }
    if (n["capture"]) {
      read_captures(r, n["capture"], req.captures);
      for (const auto& c : req.captures)
        if (c.from == capture_spec::source::header)
          r.fail(n["capture"], "capture '" + c.variable +
                                   "': a WebSocket message has no headers (use json or regex)");
    }
  }
  if (n["name"]) {
    req.name = r.stats_name(n["name"], "name");
    ws.derived_name = false;
  }
  if (n["on_failure"]) req.on_failure = read_failure_action(r, n["on_failure"]);
  return req;
}

}  // namespace swarmlet::config::loading
