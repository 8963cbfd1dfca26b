// WebSocket end to end: `swarmlet run` against a server built on Python's websockets (Debian's
// python3-websockets), YAML and scripted users; the messages the server got equal the WS
// requests swarmlet recorded, exactly, and a server that refuses the upgrade or closes the
// WebSocket gives counted, named failures.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/http_calls.hpp"
#include "tests/support/process.hpp"

namespace ts = swarmlet::testing_support;

namespace {

const std::string binary = SWARMLET_BINARY;

class WebSocketRun : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string line = server_.wait_for_line("listening on");
    ASSERT_FALSE(line.empty()) << server_.err();
    port_ = line.substr(line.rfind(' ') + 1);
  }
  /// Writes the scenario (the server as its target, then `body`) and `files` next to it.
  std::string write(const std::string& body,
                    const std::vector<std::pair<std::string, std::string>>& files = {}) {
    const auto file =
        ts::write_temp_file("scenario.yaml", "target: http://127.0.0.1:" + port_ + "\n" + body);
    dir_ = file.substr(0, file.rfind('/'));
    for (const auto& [name, text] : files) std::ofstream(dir_ + "/" + name) << text;
    return file;
  }
  nlohmann::json run(const std::string& file, int code = 0) {
    const auto r =
        ts::run_process({binary, "run", file, "--threads", "2", "-q", "--json", dir_ + "/s.json"});
    EXPECT_EQ(r.code, code) << r.out << r.err;
    return nlohmann::json::parse(ts::read_file(dir_ + "/s.json"));
  }
  /// The messages the server received, by its own count.
  std::uint64_t received() {
    const auto a = ts::http_call("GET", "http://127.0.0.1:" + port_ + "/count");
    EXPECT_EQ(a.status, 200);
    return a.status == 200 ? std::stoull(a.body) : 0;
  }
  /// The upgrades the server was asked for, refused ones too, by its own count.
  std::uint64_t upgrades() {
    const auto a = ts::http_call("GET", "http://127.0.0.1:" + port_ + "/upgrades");
    EXPECT_EQ(a.status, 200);
    return a.status == 200 ? std::stoull(a.body) : 0;
  }
  /// The WS row named `name` of a report (requests, failures, ...); null when none.
  static nlohmann::json row(const nlohmann::json& s, const std::string& name) {
    for (const auto& r : s["requests"])
      if (r["method"] == "WS" && r["name"] == name) return r;
    return nullptr;
  }
  static std::uint64_t errors_with(const nlohmann::json& s, const std::string& text) {
    std::uint64_t n = 0;
    for (const auto& e : s["errors"])
      if (e["error"].get<std::string>().find(text) != std::string::npos)
        n += e["occurrences"].get<std::uint64_t>();
    return n;
  }
  ts::process server_{{"/usr/bin/python3", WS_SERVER_SCRIPT}};
  std::string port_, dir_;
};

TEST_F(WebSocketRun, YamlExchangesAreCountedExactlyByTheServer) {
  const auto file = write(R"(load: {users: 6, spawn_rate: 100, run_time: 2s}
users:
  - on_start:
      - {ws: /chat, name: chat}
      - {expect: {json: {$.type: welcome}, timeout: 5s}}
    tasks:
      - steps:
          - send: "hello ${user_id} ${iteration}"
            expect: {regex: '^hello \d+ \d+$', timeout: 5s}
            capture: {echoed: {regex: '\d+$'}}
          - {send: {n: "${echoed}"}, expect: {json: {$.n: {exists: true}}, timeout: 5s}, name: json}
    wait: {constant: 5ms}
    on_stop: [close]
)");
  const auto s = run(file);
  EXPECT_EQ(s["totals"]["failures"], 0) << s["errors"].dump();
  const auto chat = row(s, "chat");
  const auto sends = row(s, "chat send");
  const auto json = row(s, "json");
  ASSERT_FALSE(chat.is_null()) << s["requests"].dump();
  ASSERT_FALSE(sends.is_null()) << s["requests"].dump();
  ASSERT_FALSE(json.is_null()) << s["requests"].dump();
  EXPECT_EQ(chat["requests"], 6) << "one handshake per user";
  EXPECT_EQ(row(s, "chat expect")["requests"], 6) << "one welcome per user";
  const auto exchanged =
      sends["requests"].get<std::uint64_t>() + json["requests"].get<std::uint64_t>();
  EXPECT_GT(exchanged, 60u);
  EXPECT_EQ(exchanged, received()) << "every message the server got was recorded once";
}

TEST_F(WebSocketRun, AnExpectInFlightAtTheStopEndsByItsOwnTimeoutAndIsCounted) {
  // The stop waited connect_timeout + 2 x timeout (2.5 s here), then dropped the expect still
  // waiting: a server that never answers made a test with no failure. Its 6 s bound it now.
  const auto file = write(R"(load: {users: 2, spawn_rate: 100, run_time: 1s}
http: {connect_timeout: 500ms, timeout: 500ms}
users:
  - on_start: [{ws: /silent, name: silent}]
    tasks:
      - {send: "anyone?", expect: {contains: never, timeout: 6s}}
)");
  const auto s = run(file, 1);
  EXPECT_EQ(row(s, "silent")["requests"], 2) << s["requests"].dump();
  const auto sends = row(s, "silent send");
  ASSERT_FALSE(sends.is_null()) << s["requests"].dump();
  EXPECT_EQ(sends["requests"], 2);
  EXPECT_EQ(sends["failures"], 2);
  EXPECT_EQ(received(), 2u);
}

TEST_F(WebSocketRun, ScriptedSendsAreCountedExactlyByTheServer) {
  const auto file = write(R"(load: {users: 4, spawn_rate: 100, run_time: 2s}
users: [{name: echo, script: echo.lua, wait: {constant: 5ms}}]
)",
                          {{"echo.lua", R"(return {
  on_start = function(u)
    u.socket = assert(u.ws:connect("/echo", {name = "echo"}))
  end,
  tasks = {
    function(u)
      for i = 1, 3 do
        assert(u.socket:send("m" .. i))
        local m, err = u.socket:recv(5)
        if m ~= "m" .. i then error("echo: " .. tostring(m) .. " " .. tostring(err)) end
      end
    end,
  },
  on_stop = function(u) u.socket:close() end,
}
)"}});
  const auto s = run(file);
  EXPECT_EQ(s["totals"]["failures"], 0) << s["errors"].dump();
  const auto sends = row(s, "echo send");
  const auto recvs = row(s, "echo recv");
  ASSERT_FALSE(sends.is_null()) << s["requests"].dump();
  ASSERT_FALSE(recvs.is_null()) << s["requests"].dump();
  EXPECT_EQ(row(s, "echo")["requests"], 4) << "one handshake per user";
  EXPECT_GT(sends["requests"].get<std::uint64_t>(), 30u);
  EXPECT_EQ(sends["requests"].get<std::uint64_t>(), received());
  EXPECT_EQ(recvs["requests"], sends["requests"]) << "each echo received";
}

TEST_F(WebSocketRun, TheUpgradeCarriesTheCookiesTheUserLoggedInWith) {
  const auto file = write(R"(load: {users: 4, spawn_rate: 100, run_time: 2s}
users:
  - name: yaml
    on_start: [{get: /login}, {ws: /private, name: yaml private}]
    tasks: [{send: hi, expect: {contains: hi, timeout: 5s}}]
    wait: {constant: 5ms}
  - name: scripted
    script: private.lua
    wait: {constant: 5ms}
)",
                          {{"private.lua", R"(return {
  on_start = function(u)
    assert(u.http:get("/login").status == 200)
    u.socket = assert(u.ws:connect("/private", {name = "scripted private"}))
  end,
  tasks = {function(u) assert(u.socket:send("hi")); assert(u.socket:recv(5) == "hi") end},
}
)"}});
  const auto s = run(file);
  EXPECT_EQ(s["totals"]["failures"], 0) << s["errors"].dump();
  EXPECT_EQ(row(s, "yaml private")["requests"], 2) << s["requests"].dump();
  EXPECT_EQ(row(s, "scripted private")["requests"], 2) << s["requests"].dump();
}

TEST_F(WebSocketRun, ScriptedFailuresAreCountedAndReturnedAsNilAndTheError) {
  const auto file = write(R"(load: {users: 2, spawn_rate: 100, run_time: 2s}
users: [{name: failing, script: failing.lua}]
)",
                          {{"failing.lua", R"(local sw = require "swarmlet"
return {tasks = {
  function(u)
    local ws, err = u.ws:connect("/forbidden", {name = "refused"})
    if ws or not err:find("403 Forbidden", 1, true) then error("connect: " .. tostring(err)) end
    local s = assert(u.ws:connect("/echo", {name = "quiet"}))
    local m, e = s:recv(0.05)
    if m or not e:find("^timeout") then error("recv: " .. tostring(e)) end
    s:close()
    local ok, e2 = s:send("after the close")
    if ok or not e2:find("^not_open") then error("send: " .. tostring(e2)) end
    sw.stop_user()
  end,
}}
)"}});
  const auto s = run(file, 1);
  for (const auto& r : s["requests"]) EXPECT_NE(r["method"], "LUA") << s["errors"].dump();
  EXPECT_EQ(row(s, "refused")["failures"], 2) << s["requests"].dump();
  EXPECT_EQ(row(s, "quiet")["failures"], 0);
  EXPECT_EQ(row(s, "quiet recv")["failures"], 2);
  EXPECT_EQ(row(s, "quiet send")["failures"], 2);
  EXPECT_EQ(errors_with(s, "timeout: no message within 50 ms"), 2u) << s["errors"].dump();
  EXPECT_EQ(received(), 0u);
}

TEST_F(WebSocketRun, ARefusedUpgradeAndAServersCloseAreCountedNamedFailures) {
  const auto file = write(R"(load: {users: 2, spawn_rate: 100, run_time: 1s}
users:
  - tasks:
      - steps:
          - {ws: /forbidden}
          - {ws: /close}
          - {send: one, expect: {timeout: 5s}, name: first}
          - {send: two, expect: {timeout: 5s}, name: second}
    wait: {constant: 20ms}
    on_failure: continue
)");
  const auto s = run(file, 1);
  const auto forbidden = row(s, "/forbidden");
  ASSERT_FALSE(forbidden.is_null()) << s["requests"].dump();
  EXPECT_GT(forbidden["requests"].get<std::uint64_t>(), 0u);
  EXPECT_EQ(forbidden["failures"], forbidden["requests"]);
  EXPECT_EQ(errors_with(s, "handshake: expected 101 Switching Protocols, got 403 Forbidden"),
            forbidden["requests"].get<std::uint64_t>())
      << s["errors"].dump();
  // /close answers nothing and closes after the first message: each first expect fails as
  // closed; each second send opens the WebSocket again (as its ws step did), and its expect
  // fails as closed too.
  const auto first = row(s, "first");
  const auto second = row(s, "second");
  const auto closing = row(s, "/close");
  ASSERT_FALSE(first.is_null()) << s["requests"].dump();
  ASSERT_FALSE(second.is_null()) << s["requests"].dump();
  ASSERT_FALSE(closing.is_null()) << s["requests"].dump();
  EXPECT_EQ(first["failures"], first["requests"]);
  EXPECT_EQ(second["failures"], second["requests"]);
  EXPECT_EQ(errors_with(s, "closed: the server closed the WebSocket (1000 normal closure)"),
            first["requests"].get<std::uint64_t>() + second["requests"].get<std::uint64_t>())
      << s["errors"].dump();
  EXPECT_EQ(received(),
            first["requests"].get<std::uint64_t>() + second["requests"].get<std::uint64_t>())
      << "each message reached the server, the second on a WebSocket opened again";
  // A handshake for each first message and one again for each second; and a user the stop
  // reached between its handshake and its send (it ends at the next step) made one more.
  const auto sends =
      first["requests"].get<std::uint64_t>() + second["requests"].get<std::uint64_t>();
  EXPECT_GE(closing["requests"].get<std::uint64_t>(), sends);
  EXPECT_LE(closing["requests"].get<std::uint64_t>(), sends + 2) << "2 users";
}

TEST_F(WebSocketRun, AWebSocketTheServerClosedIsOpenedAgainByTheNextStepNotFailedForEver) {
  // The WebSocket is opened once, in on_start; the server closes it after a message. Each
  // later step failed at once, with no I/O: millions of "requests" a second, none sent.
  const auto file = write(R"(load: {users: 2, spawn_rate: 100, run_time: 1s}
users:
  - on_start: [{ws: /close, name: chat}]
    tasks:
      - {send: hello, expect: {timeout: 5s}}
)");
  const auto s = run(file, 1);
  const auto chat = row(s, "chat");
  const auto sends = row(s, "chat send");
  ASSERT_FALSE(chat.is_null()) << s["requests"].dump();
  ASSERT_FALSE(sends.is_null()) << s["requests"].dump();
  const auto sent = sends["requests"].get<std::uint64_t>();
  EXPECT_GT(sent, 2u);
  EXPECT_EQ(received(), sent) << "every send counted reached the server";
  EXPECT_EQ(sends["failures"], sends["requests"]) << "each expect found it closed";
  EXPECT_EQ(chat["requests"].get<std::uint64_t>(), sent)
      << "one handshake before each message: on_start's, then one per task";
  EXPECT_EQ(chat["failures"], 0);
}

TEST_F(WebSocketRun, AHandshakeRefusedOnceIsTriedAgainByTheNextStepThatNeedsTheWebSocket) {
  // QA: a refused handshake in on_start, then a close step: every later step failed at once as
  // "not_open: the WebSocket was closed" (150,000 a second on one thread, no I/O), and the
  // handshake was never tried again. Each send now opens it again, the first refusal counted
  // once, and every handshake recorded is one the server was asked for.
  const auto file = write(R"(load: {users: 1, spawn_rate: 100, run_time: 1s}
users:
  - on_start: [{ws: /refused-once, name: chat, on_failure: continue}]
    tasks:
      - steps:
          - {close: 4000}
          - {send: hello, expect: {contains: hello, timeout: 5s}}
)");
  const auto s = run(file, 1);
  const auto chat = row(s, "chat");
  const auto sends = row(s, "chat send");
  ASSERT_FALSE(chat.is_null()) << s["requests"].dump();
  ASSERT_FALSE(sends.is_null()) << s["errors"].dump();
  const auto sent = sends["requests"].get<std::uint64_t>();
  EXPECT_GT(sent, 2u);
  EXPECT_EQ(sends["failures"], 0) << s["errors"].dump();
  EXPECT_EQ(received(), sent) << "every send counted reached the server";
  EXPECT_EQ(chat["failures"], 1) << s["errors"].dump();
  EXPECT_EQ(errors_with(s,
                        "handshake: expected 101 Switching Protocols, got 503 Service "
                        "Unavailable"),
            1u)
      << s["errors"].dump();
  EXPECT_EQ(errors_with(s, "not_open"), 0u) << s["errors"].dump();
  EXPECT_EQ(s["totals"]["failures"], 1) << "the refusal, and nothing for the steps after it";
  // One handshake before each send (the close before it ended the last one); a stop that
  // came during a handshake ends the user before its send.
  const auto tries = chat["requests"].get<std::uint64_t>();
  EXPECT_GE(tries, 1 + sent);
  EXPECT_LE(tries, 2 + sent);
  EXPECT_EQ(upgrades(), tries) << "each handshake recorded was asked of the server";
}

TEST_F(WebSocketRun, AHandshakeAlwaysRefusedCountsOneFailurePerTryNotOnePerStep) {
  // The steps after an on_start whose handshake the server refuses each try it again (the
  // server is asked each time), and only the handshake counts: one failure per try.
  const auto file = write(R"(load: {users: 1, spawn_rate: 100, run_time: 1s}
users:
  - on_start: [{ws: /forbidden, name: chat, on_failure: continue}]
    tasks:
      - steps:
          - {send: hello, on_failure: continue}
          - {expect: {timeout: 5s}, on_failure: continue}
          - {close: 4000}
    wait: {constant: 10ms}
)");
  const auto s = run(file, 1);
  const auto chat = row(s, "chat");
  ASSERT_FALSE(chat.is_null()) << s["requests"].dump();
  const auto tries = chat["requests"].get<std::uint64_t>();
  EXPECT_GT(tries, 3u);
  EXPECT_EQ(chat["failures"], chat["requests"]);
  EXPECT_EQ(errors_with(s, "handshake: expected 101 Switching Protocols, got 403 Forbidden"), tries)
      << s["errors"].dump();
  EXPECT_EQ(s["totals"]["failures"].get<std::uint64_t>(), tries) << s["errors"].dump();
  EXPECT_EQ(upgrades(), tries) << "each failure is a handshake the server refused";
  EXPECT_EQ(received(), 0u);
}

}  // namespace
