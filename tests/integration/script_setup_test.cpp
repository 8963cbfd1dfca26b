// main.lua's setup and teardown, the workers' place in Lua, scripted users in the open model and
// with unique rows: real processes (`swarmlet run`, or a master and its workers) against
// `swarmlet target`, whose /record/ route counts what each request carried.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "target_fixture.hpp"
#include "tests/support/http_calls.hpp"
#include "tests/support/process.hpp"

namespace ts = swarmlet::testing_support;

namespace {

const std::string binary = SWARMLET_BINARY;

class ScriptSetup : public ts::against_target {
 protected:
  /// Writes the scenario (target: this target, then `body`) and the scripts next to it.
  std::string write(const std::string& body, const std::map<std::string, std::string>& files) {
    const std::string file = scenario(body);
    dir_ = file.substr(0, file.rfind('/'));
    for (const auto& [name, text] : files) std::ofstream(dir_ + "/" + name) << text;
    return file;
  }
  ts::run_result run(const std::string& file, const std::string& time = "2s") {
    return ts::run_process({binary, "run", file, "--threads", "2", "-q", "--headless", "-t", time,
                            "--json", dir_ + "/summary.json"});
  }
  /// A master expecting `n` workers, and the workers (one hub thread each).
  std::unique_ptr<ts::process> master_with_workers(const std::string& file, int n) {
    auto master = std::make_unique<ts::process>(std::vector<std::string>{
        binary, "master", file, "--expect-workers", std::to_string(n), "--port", "0", "-q",
        "--headless", "--json", dir_ + "/summary.json"});
    const auto ports = ts::master_ports_in(master->wait_for_line("listening on"));
    EXPECT_FALSE(ports.first.empty()) << master->out() << master->err();
    for (int i = 0; i < n; ++i)
      workers_.push_back(std::make_unique<ts::process>(std::vector<std::string>{
          binary, "worker", "--master", "127.0.0.1:" + ports.first, "--stats-port", ports.second,
          "--threads", "1", "--report-interval-ms", "200"}));
    return master;
  }
  nlohmann::json summary() { return nlohmann::json::parse(ts::read_file(dir_ + "/summary.json")); }
  /// What the target's /record/ route saw: request target -> times.
  std::map<std::string, std::uint64_t> recorded() {
    auto r = ts::run_process({"/usr/bin/curl", "-s", url_ + "/__swarmlet/recorded"});
    return nlohmann::json::parse(r.out)["recorded"].get<std::map<std::string, std::uint64_t>>();
  }
  static std::uint64_t requests_of(const nlohmann::json& s, const std::string& method,
                                   const std::string& name) {
    for (const auto& r : s["requests"])
      if (r["method"] == method && r["name"] == name) return r["requests"].get<std::uint64_t>();
    return 0;
  }
  std::string dir_;
  std::vector<std::unique_ptr<ts::process>> workers_;
};

const char* login_once = R"(local sw = require "swarmlet"
function setup(ctx)
  local r = ctx.http:post("/login", {json = {user = "admin"}})
  return {token = r:json().token, workers = sw.worker_count(), list = {1, 2, 3}}
end
function teardown(ctx, data)
  ctx.http:get("/record/bye?t=" .. data.token, {name = "/bye"})
end
)";

const char* shows_setup = R"(local sw = require "swarmlet"
return {
  on_start = function(u)
    u.http:get(("/record/seen?t=%s&n=%d&list=%d&u=%d&w=%d/%d"):format(u.setup.token,
      u.setup.workers, #u.setup.list, u.id, sw.worker_index(), sw.worker_count()), {name = "/seen"})
  end,
  tasks = {function(u) u.http:get("/") end},
  wait = 0.02,
}
)";

TEST_F(ScriptSetup, SetupLogsInOnceAndEveryUserOnThreeWorkersSeesItsToken) {
  const auto file = write(R"(script: main.lua
load: {users: 9, spawn_rate: 100, run_time: 2s}
users: [{name: u, script: user.lua}]
)",
                          {{"main.lua", login_once}, {"user.lua", shows_setup}});
  auto master = master_with_workers(file, 3);
  ASSERT_EQ(master->wait(), 0) << master->out() << master->err();
  for (auto& w : workers_) EXPECT_EQ(w->wait(), 0) << w->err();
  // Every user's on_start saw setup's token and data; setup ran with 3 workers present.
  std::map<std::string, std::uint64_t> expected;
  std::map<std::string, int> per_worker;
  for (const auto& [target, n] : recorded()) {
    if (target.rfind("/record/seen", 0) != 0) continue;
    per_worker[target.substr(target.find("&w="))] += static_cast<int>(n);
  }
  for (int u = 1; u <= 9; ++u) {
    const std::string prefix =
        "/record/seen?t=token-admin&n=3&list=3&u=" + std::to_string(u) + "&w=";
    for (const auto& [target, n] : recorded())
      if (target.rfind(prefix, 0) == 0) expected[target] = n;
  }
  EXPECT_EQ(expected.size(), 9u) << "each user once, with setup's token";
  EXPECT_EQ(per_worker, (std::map<std::string, int>{{"&w=0/3", 3}, {"&w=1/3", 3}, {"&w=2/3", 3}}));
  EXPECT_EQ(recorded()["/record/bye?t=token-admin"], 1u) << "teardown ran once, with setup's data";
  const auto s = summary();
  EXPECT_EQ(requests_of(s, "SETUP", "POST /login"), 1u) << s["requests"].dump();
  EXPECT_EQ(requests_of(s, "TEARDOWN", "GET /bye"), 1u) << s["requests"].dump();
  EXPECT_EQ(s["totals"]["requests"].get<std::uint64_t>(), served())
      << "setup's and teardown's requests are counted as the target counted them";
  EXPECT_EQ(s["totals"]["failures"], 0) << s["errors"].dump();
}

TEST_F(ScriptSetup, AFailedSetupStartsNoUserExitsFourAndSaysWhereItFailed) {
  const auto file = write(
      "script: main.lua\nload: {users: 3, spawn_rate: 100}\n"
      "users: [{name: u, script: user.lua}]\n",
      {{"main.lua",
        "function setup(ctx)\n  ctx.http:get('/status/503')\n"
        "  error('no admin account')\nend\n"
        "function teardown() ctx.http:get('/never') end\n"},
       {"user.lua", shows_setup}});
  const auto r = run(file);
  EXPECT_EQ(r.code, 4) << r.out << r.err;
  EXPECT_NE(r.err.find("main.lua:3: no admin account"), std::string::npos) << r.err;
  EXPECT_EQ(served(), 1u) << "only setup's own request: no user started, no teardown";
  const auto s = summary();
  EXPECT_EQ(requests_of(s, "SETUP", "GET /status/503"), 1u) << s["requests"].dump();
  EXPECT_EQ(requests_of(s, "LUA", "SETUP main.lua:setup"), 1u) << s["requests"].dump();
}

TEST_F(ScriptSetup, ASetupValueOverTheWorkersLimitStopsTheTestBeforeAnyUserWithExitFour) {
  // QA: setup() returned a 20 MB string; every worker dropped the spawn command carrying it, no
  // user ran, and the master waited 85 s for a 2 s test, then exited 0 with 0 requests.
  const auto file = write(
      "script: main.lua\nload: {users: 2, spawn_rate: 100, run_time: 2s}\n"
      "users: [{name: u, script: user.lua}]\n",
      {{"main.lua",
        "function setup(ctx)\n  return {big = string.rep('x', 17 * 1024 * 1024)}\nend\n"},
       {"user.lua", shows_setup}});
  auto master = master_with_workers(file, 1);
  EXPECT_EQ(master->wait(), 4) << master->out() << master->err();
  EXPECT_NE(master->err().find("swarmlet: main.lua: setup() returned what the workers cannot "
                               "take: 17825802 bytes as msgpack, over the limit of 16777216 "
                               "(16 MiB)\n"),
            std::string::npos)
      << master->err();
  EXPECT_EQ(served(), 0u) << "no user started";
}

TEST_F(ScriptSetup, AChangeOfUsersWhileSetupRunsIsRefusedAsSuchAndAStopEndsTheSetup) {
  // POST /api/swarm during setup() said "no test is running" of a test that had begun.
  const auto file = write(
      "script: main.lua\nload: {users: 2, spawn_rate: 100}\n"
      "users: [{name: u, script: user.lua}]\n",
      {{"main.lua", "function setup(ctx)\n  ctx.http:get('/delay/60000')\nend\n"},
       {"user.lua", shows_setup}});
  ts::process master({binary, "master", file, "--expect-workers", "1", "--port", "0", "--web-port",
                      "0", "--json", dir_ + "/summary.json"});
  const auto ports = ts::master_ports_in(master.wait_for_line("listening on"));
  const std::string web_line = master.wait_for_line("/metrics on");
  ASSERT_FALSE(ports.first.empty() || web_line.empty()) << master.out() << master.err();
  ts::process worker({binary, "worker", "--master", "127.0.0.1:" + ports.first, "--stats-port",
                      ports.second, "--threads", "1"});
  ASSERT_FALSE(master.wait_for_line("running setup() of main.lua").empty()) << master.out();
  const std::string api = ts::url_in(web_line);
  const auto refused = ts::http_call("POST", api + "/api/swarm", R"({"users": 5})");
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_NE(refused.body.find("the test is running main.lua's setup(): its users start once it "
                              "returns"),
            std::string::npos)
      << refused.body;
  EXPECT_EQ(ts::http_call("POST", api + "/api/stop").status, 202);
  EXPECT_EQ(master.wait(), 4) << "the setup did not finish: " << master.out() << master.err();
  EXPECT_EQ(worker.wait(), 0) << worker.err();
  const auto s = summary();
  for (const auto& r : s["requests"]) EXPECT_NE(r["method"], "GET") << "no user started: " << r;
}

TEST_F(ScriptSetup, PastMaxNamesEveryNamedRowOfTwoWorkersHoldsAllItsRequests) {
  // QA hunt: each worker (and each hub thread) kept the first stats.max_names names it met, so
  // a name the master showed could be folded on another worker: its row held a part of its
  // requests. Here the workers meet six names in opposite orders.
  const auto file = write(R"(load: {users: 2, spawn_rate: 100, run_time: 1s}
stats: {max_names: 3}
users: [{name: u, script: user.lua}]
)",
                          {{"user.lua", R"(local sw = require "swarmlet"
return {tasks = {function(u)
  for k = 1, 6 do
    local i = sw.worker_index() == 0 and k or 7 - k
    u.http:get("/record/n" .. i, {name = "n" .. i})
  end
end}, wait = 0.01}
)"}});
  auto master = master_with_workers(file, 2);
  ASSERT_EQ(master->wait(), 0) << master->out() << master->err();
  for (auto& w : workers_) EXPECT_EQ(w->wait(), 0) << w->err();
  const auto s = summary();
  const auto served = recorded();
  int named = 0;
  for (const auto& r : s["requests"]) {
    const std::string name = r["name"];
    if (name == "(other names)") continue;
    ++named;
    EXPECT_EQ(r["requests"].get<std::uint64_t>(), served.at("/record/" + name))
        << name << ": a named row holds every request of its name";
  }
  EXPECT_EQ(named, 3) << s["requests"].dump();
  EXPECT_EQ(s["totals"]["requests"].get<std::uint64_t>(), this->served());
}

TEST_F(ScriptSetup, ASyntaxErrorInMainLuaIsFoundAtLoadWithExitTwo) {
  const auto file = write("script: main.lua\nusers: [{tasks: [{get: /}]}]\n",
                          {{"main.lua", "function setup(ctx)\n  return {\nend\n"}});
  const auto r = run(file);
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("main.lua:3:"), std::string::npos) << r.err;
  EXPECT_EQ(served(), 0u);
}

TEST_F(ScriptSetup, AFailedTeardownIsReportedAndTheResultsAreKept) {
  const auto file = write(
      "script: main.lua\nload: {users: 2, spawn_rate: 100}\n"
      "users: [{name: y, wait: {constant: 20ms}, tasks: [{get: /}]}]\n",
      {{"main.lua",
        "function teardown(ctx, data)\n  ctx.http:get('/', {name = 'cleanup'})\n  "
        "error('oops')\nend\n"}});
  const auto r = run(file);
  EXPECT_EQ(r.code, 1) << "the teardown's error is a failure: " << r.out << r.err;
  EXPECT_NE(r.err.find("WARNING: teardown() failed: main.lua:3: oops"), std::string::npos) << r.err;
  const auto s = summary();
  EXPECT_GT(requests_of(s, "GET", "/"), 0u) << "the users' results are kept";
  EXPECT_EQ(requests_of(s, "TEARDOWN", "GET cleanup"), 1u) << s["requests"].dump();
  EXPECT_EQ(requests_of(s, "LUA", "TEARDOWN main.lua:teardown"), 1u) << s["requests"].dump();
  EXPECT_EQ(s["totals"]["requests"].get<std::uint64_t>(), served())
      << "every HTTP request; the teardown's error is a script error, not a request";
  EXPECT_EQ(s["script_errors"], 1);
  // As a user's script error: an exception as well as the LUA row (the counts agree).
  ASSERT_EQ(s["exceptions"].size(), 1u) << s["exceptions"].dump();
  EXPECT_EQ(s["exceptions"][0]["count"], 1);
  EXPECT_EQ(s["exceptions"][0]["message"], "main.lua:3: oops");
  EXPECT_EQ(s["exceptions"][0]["workers"], nlohmann::json::array({"master"}));
}

TEST_F(ScriptSetup, OpenModelScriptedUsersAreCountedExactlyByTheTarget) {
  const auto file = write(R"(load: {arrival_rate: {rate: 40/s, max_users: 5}}
users: [{name: u, script: user.lua}]
)",
                          {{"user.lua", R"(return {
  on_start = function(u) u.http:get("/record/start?u=" .. u.id, {name = "/start"}) end,
  tasks = {function(u) u.http:get("/items"); u.http:get("/") end},
})"}});
  const auto r = run(file);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const auto s = summary();
  EXPECT_EQ(s["totals"]["failures"], 0) << s["errors"].dump();
  EXPECT_EQ(s["totals"]["requests"].get<std::uint64_t>(), served());
  const auto iterations = requests_of(s, "GET", "/items");
  EXPECT_GT(iterations, 0u);
  // An iteration is one whole task call, but the stop ends a task at its next request: each
  // of the (at most 5) users may have sent /items and not / when the test stopped.
  EXPECT_LE(requests_of(s, "GET", "/"), iterations);
  EXPECT_GE(requests_of(s, "GET", "/") + 5, iterations) << "an iteration is one whole task call";
  std::uint64_t starts = 0;
  for (const auto& [target, n] : recorded()) {
    EXPECT_EQ(n, 1u) << target << ": on_start once per user";
    starts += n;
  }
  EXPECT_EQ(requests_of(s, "GET", "/start"), starts);
  EXPECT_LE(starts, 5u) << "at most max_users users";
}

TEST_F(ScriptSetup, UniqueRowsOfScriptedUsersAreNeverRepeatedAcrossTwoWorkers) {
  std::string rows = "id\n";
  for (int i = 1; i <= 80; ++i) rows += std::to_string(i) + "\n";
  const auto file = write(R"(load: {users: 4, spawn_rate: 100, run_time: 6s}
users: [{name: u, script: user.lua, data: {file: rows.csv, order: unique}, wait: {constant: 10ms}}]
)",
                          {{"rows.csv", rows}, {"user.lua", R"(return {tasks = {function(u)
  u.http:get("/record/row?id=" .. u.vars.id, {name = "/row"})
end}})"}});
  auto master = master_with_workers(file, 2);
  ASSERT_EQ(master->wait(), 0) << master->out() << master->err();
  for (auto& w : workers_) EXPECT_EQ(w->wait(), 0) << w->err();
  std::map<std::string, std::uint64_t> expected;
  for (int i = 1; i <= 80; ++i) expected["/record/row?id=" + std::to_string(i)] = 1;
  EXPECT_EQ(recorded(), expected) << "each row went to exactly one task call";
  const auto s = summary();
  ASSERT_EQ(s["unique_data"].size(), 1u) << s.dump();
  EXPECT_EQ(s["unique_data"][0]["rows_used"], 80);
  EXPECT_EQ(s["totals"]["requests"], 80);
}

}  // namespace
