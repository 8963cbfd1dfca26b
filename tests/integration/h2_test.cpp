// HTTP/2 end to end: `swarmlet run` against nginx (h2 over TLS, by ALPN) and Node.js's http2
// module (h2c by prior knowledge), YAML and scripted users; every report must equal what the
// server counted, and a server that misbehaves (RST_STREAM, GOAWAY, an oversize frame) gives
// counted, named failures, never a crash or a hung user.
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/h2_peer.hpp"
#include "tests/support/nginx_server.hpp"
#include "tests/support/process.hpp"

namespace ts = swarmlet::testing_support;

namespace {

const std::string binary = SWARMLET_BINARY;

class H2Run : public ::testing::Test {
 protected:
  /// Writes the scenario (target, then `body`) and `files` next to it; returns its path.
  std::string write(const std::string& target, const std::string& body,
                    const std::vector<std::pair<std::string, std::string>>& files = {}) {
    const auto file = ts::write_temp_file("scenario.yaml", "target: " + target + "\n" + body);
    dir_ = file.substr(0, file.rfind('/'));
    for (const auto& [name, text] : files) std::ofstream(dir_ + "/" + name) << text;
    return file;
  }
  /// Runs it; `code`: the exit code expected (1 when requests fail).
  nlohmann::json run(const std::string& file, int code = 0) {
    const auto r =
        ts::run_process({binary, "run", file, "--threads", "2", "-q", "--json", dir_ + "/s.json"});
    EXPECT_EQ(r.code, code) << r.out << r.err;
    return nlohmann::json::parse(ts::read_file(dir_ + "/s.json"));
  }
  /// The occurrences of errors whose message contains `text`.
  static std::uint64_t errors_with(const nlohmann::json& s, const std::string& text) {
    std::uint64_t n = 0;
    for (const auto& e : s["errors"])
      if (e["error"].get<std::string>().find(text) != std::string::npos)
        n += e["occurrences"].get<std::uint64_t>();
    return n;
  }
  std::string dir_;
};

TEST_F(H2Run, YamlUsersOverH2ToNginxAreCountedExactlyByNginx) {
  if (!ts::nginx_server::available()) GTEST_SKIP() << "Debian's nginx is not installed";
  ts::nginx_options options;
  options.tls = options.http2 = true;
  ts::nginx_server nginx(options);
  const auto file = write(nginx.url(), R"(http: {verify_tls: false}
load: {users: 10, spawn_rate: 100, run_time: 2s}
users:
  - tasks:
      - steps:
          - {get: /, check: {status: 200}, capture: {server: {header: Server}}}
          - {get: "/items/${user_id}", name: /items, headers: {X-Seen: "${server}"}, check: {status: 200}}
    wait: {between: [1ms, 3ms]}
)");
  const auto s = run(file);
  const auto total = s["totals"]["requests"].get<std::uint64_t>();
  EXPECT_GT(total, 50u);
  EXPECT_EQ(total, nginx.served()) << "every request nginx handled was counted once";
  EXPECT_EQ(s["totals"]["failures"], 0) << s["errors"].dump();
  EXPECT_EQ(s["http_versions"]["2"], total) << "auto took h2, offered by ALPN";
  EXPECT_EQ(s["http_versions"]["1.1"], 0);
}

TEST_F(H2Run, ScriptedUsersRequestInParallelOnOneConnectionEach) {
  if (!ts::h2_peer::available()) GTEST_SKIP() << "Node.js is not installed";
  ts::h2_peer peer;
  const auto file = write(peer.url(), R"(http: {version: "2"}
load: {users: 3, spawn_rate: 100, run_time: 2s}
users: [{name: parallel, script: parallel.lua, wait: {constant: 5ms}}]
)",
                          {{"parallel.lua", R"(local sw = require "swarmlet"
return {tasks = {
  function(u)
    local pool = sw.pool(5)
    for i = 1, 10 do pool:spawn(function() u.http:get("/item/" .. i, {name = "/item"}) end) end
    pool:waitall()
  end,
}}
)"}});
  const auto s = run(file);
  const auto total = s["totals"]["requests"].get<std::uint64_t>();
  const auto n = peer.counts();
  EXPECT_GT(total, 30u);
  EXPECT_EQ(total, n.answered) << "every stream the server answered was counted once";
  EXPECT_EQ(s["totals"]["failures"], 0) << s["errors"].dump();
  EXPECT_EQ(s["http_versions"]["2"], total);
  EXPECT_EQ(n.sessions, 3u) << "one connection per user";
  EXPECT_GT(n.max_concurrent, 1u) << "a user's parallel requests were concurrent streams";
}

TEST_F(H2Run, ResetStreamsAndGoawaysAreCountedNamedFailures) {
  if (!ts::h2_peer::available()) GTEST_SKIP() << "Node.js is not installed";
  ts::h2_peer peer;
  const auto file = write(peer.url(), R"(http: {version: "2", timeout: 20s}
load: {users: 2, spawn_rate: 100, run_time: 2s}
users:
  - tasks: [{steps: [{get: /}, {get: /rst}, {get: /}, {get: /goaway}]}]
    wait: {constant: 5ms}
    on_failure: continue
)");
  const auto s = run(file, 1);
  const auto n = peer.counts();
  EXPECT_GT(n.resets, 0u);
  EXPECT_GT(n.goaways, 0u);
  EXPECT_EQ(errors_with(s, "the server reset the stream"), n.resets) << s["errors"].dump();
  EXPECT_EQ(errors_with(s, "GOAWAY (INTERNAL_ERROR"), n.goaways) << s["errors"].dump();
  EXPECT_EQ(s["totals"]["failures"], n.resets + n.goaways);
  EXPECT_EQ(s["totals"]["requests"], n.streams) << "every stream the server saw was counted";
  // A new connection after each GOAWAY, unless it was a user's last request.
  EXPECT_GE(n.sessions, n.goaways);
  EXPECT_LE(n.sessions, n.goaways + 2);
}

TEST_F(H2Run, AnOversizeFrameIsACountedNamedFailure) {
  if (!ts::h2_peer::available()) GTEST_SKIP() << "Node.js is not installed";
  ts::h2_peer peer(ts::h2_peer_mode::oversize);
  const auto file = write(peer.url(), R"(http: {version: "2"}
load: {users: 1, spawn_rate: 10, run_time: 1s}
users: [{tasks: [{get: /}], wait: {constant: 20ms}}]
)");
  const auto s = run(file, 1);
  const auto total = s["totals"]["requests"].get<std::uint64_t>();
  EXPECT_GT(total, 0u);
  EXPECT_EQ(s["totals"]["failures"], total);
  EXPECT_EQ(errors_with(s, "FRAME_SIZE_ERROR"), total) << s["errors"].dump();
  EXPECT_EQ(peer.counts().sessions, total) << "each failed connection was replaced";
}

}  // namespace
