// WebSocket steps in the scenario file: what each reads as, and the errors of steps written
// wrong, each naming file:line:col.
#include <gtest/gtest.h>

#include <string>

#include "common/config/config_error.hpp"
#include "common/config/scenario_loader.hpp"

namespace c = swarmlet::config;

namespace {

c::scenario load(const std::string& users) {
  return c::load_scenario_text("target: http://h/\nusers:\n" + users, "ws.yaml");
}

std::string error_of(const std::string& users) {
  try {
    load(users);
  } catch (const c::config_error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(WebSocketSteps, EachStepReadsAsItsAction) {
  const auto s = load(R"(  - on_start:
      - {ws: "/chat?room=${user_id}", headers: {Origin: http://h}, query: {v: 2}, max_message: 4096}
      - {expect: {json: {$.type: welcome}, timeout: 2s}}
    tasks:
      - send: "hi ${user_id}"
        expect: {contains: hi, regex: '\d+', not_contains: error}
        capture: {n: {regex: '\d+'}}
      - {send: {op: ping, n: "${n}"}, name: ping}
      - {close: 4000}
    on_stop: [close]
)");
  const auto& u = s.users[0];
  ASSERT_EQ(u.on_start.size(), 2u);
  const auto& open = u.on_start[0];
  ASSERT_TRUE(open.ws);
  EXPECT_EQ(open.ws->what, c::ws_step::action::open);
  EXPECT_EQ(open.method, "WS");
  EXPECT_EQ(open.name, "/chat?room=${user_id}");
  EXPECT_EQ(open.headers.size(), 1u);
  EXPECT_EQ(open.query.size(), 1u);
  EXPECT_EQ(open.ws->max_message, 4096u);
  EXPECT_FALSE(open.ws->derived_name);
  const auto& welcome = u.on_start[1];
  EXPECT_EQ(welcome.ws->what, c::ws_step::action::expect);
  EXPECT_TRUE(welcome.ws->derived_name);
  EXPECT_EQ(welcome.name, "expect");
  EXPECT_EQ(welcome.check.json.size(), 1u);
  EXPECT_EQ(welcome.ws->timeout, std::chrono::seconds(2));
  EXPECT_EQ(welcome.on_failure, c::failure_action::stop_user) << "on_start's default";
  const auto& say = u.tasks[0].steps[0];
  EXPECT_EQ(say.ws->what, c::ws_step::action::send);
  EXPECT_TRUE(say.ws->expects);
  EXPECT_EQ(say.name, "send");
  ASSERT_TRUE(say.body);
  EXPECT_EQ(say.body->source(), "hi ${user_id}");
  EXPECT_EQ(say.check.body_contains, "hi");
  EXPECT_EQ(say.check.not_contains, "error");
  EXPECT_TRUE(say.check.body_regex);
  EXPECT_EQ(say.captures.size(), 1u);
  EXPECT_FALSE(say.ws->timeout) << "none given: the scenario's http.timeout";
  const auto& ping = u.tasks[1].steps[0];
  EXPECT_FALSE(ping.ws->expects);
  EXPECT_EQ(ping.name, "ping");
  EXPECT_FALSE(ping.ws->derived_name);
  ASSERT_TRUE(ping.json);
  EXPECT_EQ(ping.json_templates.size(), 1u) << "its ${n} is templated";
  EXPECT_EQ(u.tasks[2].steps[0].ws->what, c::ws_step::action::close);
  EXPECT_EQ(u.tasks[2].steps[0].ws->close_code, 4000);
  ASSERT_EQ(u.on_stop.size(), 1u);
  EXPECT_EQ(u.on_stop[0].ws->what, c::ws_step::action::close);
  EXPECT_EQ(u.on_stop[0].ws->close_code, 1000);
}

TEST(WebSocketSteps, ASentMappingKeepsItsKeysInTheOrderWritten) {
  // QA: sent with its keys sorted; k6 and Locust send the order written.
  const auto s = load(
      "  - tasks: [{ws: /chat}, {send: {op: ping, n: \"${iteration}\", at: [{z: 1, a: 2}]}}]\n");
  const auto& send = s.users[0].tasks[1].steps[0];
  ASSERT_TRUE(send.json);
  EXPECT_EQ(send.json->dump(), R"({"op":"ping","n":"${iteration}","at":[{"z":1,"a":2}]})");
}

TEST(WebSocketSteps, StepsWrittenWrongAreRefusedWhereTheyAre) {
  EXPECT_EQ(error_of("  - tasks: [{ws: /a, send: hi}]\n"),
            "ws.yaml:3:13: a WebSocket step takes one of ws, send, expect, close (or send with "
            "expect)");
  EXPECT_EQ(
      error_of("  - tasks: [{ws: chat}]\n").rfind("ws.yaml:3:18: ws path 'chat' must start", 0),
      0u);
  EXPECT_EQ(error_of("  - tasks: [{ws: \"wss://other/chat\"}]\n"), "(no error)");
  const auto key = error_of("  - tasks: [{expect: {contans: x}}]\n");
  EXPECT_EQ(key.rfind("ws.yaml:3:23: unknown key 'contans' in expect", 0), 0u) << key;
  const auto header = error_of("  - tasks: [{expect: {}, capture: {t: {header: X-T}}}]\n");
  EXPECT_NE(header.find("a WebSocket message has no headers"), std::string::npos) << header;
  const auto variable = error_of("  - tasks: [{send: \"${tokn}\"}]\n");
  EXPECT_EQ(variable.rfind("ws.yaml:3:13: unknown variable '${tokn}'", 0), 0u) << variable;
  EXPECT_NE(error_of("  - tasks: [{expect: {timeout: 0s}}]\n").find("more than 0"),
            std::string::npos);
  EXPECT_NE(error_of("  - tasks: [{close: 99}]\n").find("between 1000 and 4999"),
            std::string::npos);
  // 1005 says "no code was sent": never on the wire (RFC 6455 7.4.1); the server got it.
  EXPECT_EQ(error_of("  - tasks: [{close: 1005}]\n"),
            "ws.yaml:3:21: close code 1005 may not be sent (RFC 6455 7.4); give 1000-1003, "
            "1007-1014 or 3000-4999");
  EXPECT_NE(error_of("  - tasks: [{close: 2000}]\n").find("may not be sent"), std::string::npos);
  EXPECT_NE(error_of("  - tasks: [{send: hi, check: {status: 200}}]\n").find("unknown key 'check'"),
            std::string::npos);
  EXPECT_NE(error_of("  - tasks: [{expect: pong}]\n").find("expect must be a mapping"),
            std::string::npos);
}

}  // namespace
