// `swarmlet master` and `swarmlet worker` as separate processes on loopback, against
// `swarmlet target`: exact aggregation, worker loss, master restart, garbage on the wire.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <variant>
#include <vector>
#include <zmq.hpp>

#include "common/green/hub.hpp"
#include "proto/codec.hpp"
#include "proto/zmq_transport.hpp"
#include "tests/support/http_calls.hpp"
#include "tests/support/process.hpp"
#include "tests/support/silent_listener.hpp"

namespace ts = swarmlet::testing_support;
using namespace std::chrono_literals;

namespace {

const std::string binary = SWARMLET_BINARY;

/// The last "spawn: N users at R/s" a worker logged.
std::pair<int, double> last_spawn(const std::string& log) {
  std::smatch m;
  std::regex re(R"(spawn: (\d+) users at ([0-9.]+)/s)");
  std::pair<int, double> out{-1, 0};
  for (auto it = std::sregex_iterator(log.begin(), log.end(), re); it != std::sregex_iterator();
       ++it)
    out = {std::stoi((*it)[1]), std::stod((*it)[2])};
  return out;
}

std::uint64_t sent_by(const std::string& log) {
  std::smatch m;
  if (!std::regex_search(log, m, std::regex(R"(sent stats of (\d+) requests)"))) return 0;
  return std::stoull(m[1]);
}

/// Polls GET `url` until `ready` holds for its JSON (or 30 s); returns the last answer.
nlohmann::json poll_json(const std::string& url,
                         const std::function<bool(const nlohmann::json&)>& ready) {
  nlohmann::json j;
  for (int i = 0; i < 300; ++i) {
    j = nlohmann::json::parse(ts::http_call("GET", url).body, nullptr, false);
    if (!j.is_discarded() && ready(j)) break;
    std::this_thread::sleep_for(100ms);
  }
  return j;
}

class Distributed : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string line = target_.wait_for_line("listening on");
    ASSERT_FALSE(line.empty()) << target_.err();
    url_ = ts::url_in(line);
  }
  std::uint64_t served() {
    auto r = ts::run_process({"/usr/bin/curl", "-s", url_ + "/__swarmlet/served"});
    return nlohmann::json::parse(r.out)["served"].get<std::uint64_t>();
  }
  /// What the target's /record/ route saw: request target -> times.
  std::map<std::string, std::uint64_t> recorded() {
    auto r = ts::run_process({"/usr/bin/curl", "-s", url_ + "/__swarmlet/recorded"});
    return nlohmann::json::parse(r.out)["recorded"].get<std::map<std::string, std::uint64_t>>();
  }
  /// A scenario file aimed at the target, with `data` written next to it as data files.
  std::string scenario_with(const std::string& body,
                            const std::map<std::string, std::string>& data) {
    const auto file = ts::write_temp_file("scenario.yaml", "target: " + url_ + "\n" + body);
    const auto dir = file.substr(0, file.rfind('/'));
    for (const auto& [name, content] : data) std::ofstream(dir + "/" + name) << content;
    return file;
  }
  std::string scenario(const std::string& load) {
    return ts::write_temp_file(
        "scenario.yaml",
        "target: " + url_ + "\nload: " + load +
            "\nusers: [{wait: {constant: 5ms}, tasks: [{get: /items}, {get: /}]}]\n");
  }
  /// A scenario under `load` whose one class takes unique rows (ids 1 to `rows`, in rows.csv),
  /// every 10 ms, each iteration sending its row's id to the target's /record.
  std::string unique_rows_scenario(const std::string& load, int rows) {
    std::string csv = "id\n";
    for (int i = 1; i <= rows; ++i) csv += std::to_string(i) + "\n";
    return scenario_with(load +
                             "users:\n"
                             "  - data: {file: rows.csv, order: unique}\n"
                             "    wait: {constant: 10ms}\n"
                             "    tasks: [{get: \"/record/row?id=${id}\"}]\n",
                         {{"rows.csv", csv}});
  }
  /// What a master with three workers said of `file`'s test, run to its end (within `limit`).
  struct master_run {
    int code = -1;
    nlohmann::json summary;
    std::string out, err;
  };
  master_run run_with_three_workers(const std::string& file, std::chrono::seconds limit) {
    const auto dir = file.substr(0, file.rfind('/'));
    ts::process master({binary, "master", file, "--expect-workers", "3", "--port", "0", "--json",
                        dir + "/s.json", "--no-web"});
    const auto ports = ts::master_ports_in(master.wait_for_line("listening on"));
    master_run run;
    if (ports.first.empty()) {
      run.err = master.err();
      return run;
    }
    std::vector<std::unique_ptr<ts::process>> workers;
    for (int i = 0; i < 3; ++i) workers.push_back(worker(ports));
    run.code = master.wait(limit);
    for (auto& w : workers) EXPECT_EQ(w->wait(), 0) << w->err();
    run.out = master.out();
    run.err = master.err();
    if (run.code == 0) run.summary = nlohmann::json::parse(ts::read_file(dir + "/s.json"));
    return run;
  }
  std::unique_ptr<ts::process> worker(const std::pair<std::string, std::string>& ports) {
    return std::make_unique<ts::process>(std::vector<std::string>{
        binary, "worker", "--master", "127.0.0.1:" + ports.first, "--stats-port", ports.second,
        "--threads", "1", "--report-interval-ms", "200"});
  }

  ts::process target_{{binary, "target", "--port", "0", "--threads", "2"}};
  std::string url_;
};

TEST_F(Distributed, ThreeWorkersAggregateExactlyWhatTheTargetServed) {
  const auto file = scenario("{users: 30, spawn_rate: 60, run_time: 3s}");
  const auto dir = file.substr(0, file.rfind('/'));
  ts::process master({binary, "master", file, "--expect-workers", "3", "--port", "0", "-q",
                      "--json", dir + "/s.json"});
  const auto ports = ts::master_ports_in(master.wait_for_line("listening on"));
  ASSERT_FALSE(ports.first.empty()) << master.out() << master.err();
  std::vector<std::unique_ptr<ts::process>> workers;
  for (int i = 0; i < 3; ++i) workers.push_back(worker(ports));
  ASSERT_EQ(master.wait(), 0) << master.err();
  std::uint64_t sum_of_workers = 0;
  double rate = 0;
  for (auto& w : workers) {
    EXPECT_EQ(w->wait(), 0) << "a worker exits when the master says quit: " << w->err();
    const auto [users, r] = last_spawn(w->err());
    EXPECT_EQ(users, 10) << "30 users over 3 equal workers: " << w->err();
    rate += r;
    sum_of_workers += sent_by(w->err());
  }
  EXPECT_NEAR(rate, 60.0, 0.01) << "the spawn rate is split, not multiplied";
  EXPECT_NE(master.err().find("all workers reached their targets: 30 users"), std::string::npos)
      << master.err();
  const auto s = nlohmann::json::parse(ts::read_file(dir + "/s.json"));
  const auto total = s["totals"]["requests"].get<std::uint64_t>();
  EXPECT_GT(total, 100u);
  EXPECT_EQ(total, served());
  EXPECT_EQ(total, sum_of_workers);
  ASSERT_EQ(s["workers"].size(), 3u);
  for (const auto& w : s["workers"]) {
    EXPECT_TRUE(w["final_report"].get<bool>());
    EXPECT_EQ(w["lost_reports"], 0);
  }
}

TEST_F(Distributed, ScriptsAndTheirModulesTravelToThreeWorkersInTheWelcome) {
  const auto file = ts::write_temp_file("scenario.yaml", "target: " + url_ + R"(
load: {users: 30, spawn_rate: 60, run_time: 3s}
users: [{name: poller, script: poller.lua, wait: {constant: 5ms}}]
)");
  const auto dir = file.substr(0, file.rfind('/'));
  std::filesystem::create_directories(dir + "/lib");
  std::ofstream(dir + "/lib/auth.lua") << R"(return {login = function(u)
  return u.http:post("/login", {json = {user = "u" .. u.id}}):json().token
end})";
  std::ofstream(dir + "/poller.lua") << R"(local auth = require "lib.auth"
return {
  on_start = function(u) u.token = auth.login(u) end,
  tasks = {function(u) u.http:get("/cart", {headers = {Authorization = "Bearer " .. u.token}}) end},
})";
  ts::process master({binary, "master", file, "--expect-workers", "3", "--port", "0", "-q",
                      "--json", dir + "/s.json"});
  const auto ports = ts::master_ports_in(master.wait_for_line("listening on"));
  ASSERT_FALSE(ports.first.empty()) << master.out() << master.err();
  std::vector<std::unique_ptr<ts::process>> workers;  // their cwd holds no script: the welcome does
  for (int i = 0; i < 3; ++i) workers.push_back(worker(ports));
  ASSERT_EQ(master.wait(), 0) << master.err();
  for (auto& w : workers) {
    EXPECT_EQ(w->wait(), 0) << w->err();
    EXPECT_GT(sent_by(w->err()), 0u) << "every worker ran scripted users: " << w->err();
  }
  const auto s = nlohmann::json::parse(ts::read_file(dir + "/s.json"));
  EXPECT_EQ(s["totals"]["failures"], 0) << s["errors"].dump();
  EXPECT_EQ(s["totals"]["requests"].get<std::uint64_t>(), served());
  std::uint64_t logins = 0;
  for (const auto& r : s["requests"])
    if (r["name"] == "/login") logins = r["requests"].get<std::uint64_t>();
  EXPECT_EQ(logins, 30u) << "on_start ran once per user, on every worker";
}

TEST_F(Distributed, AWorkerWhoseCopyOfAScriptDoesNotLoadLeavesAndTheMasterSaysWhichAndWhy) {
  // QA: a script whose load read sw.env broke on one worker of two. Each of its users failed to
  // start (one LUA failure each), they stayed there, and the master said "all workers reached
  // their targets: 4 users" while 2 ran. Here the broken one joins a test under way (joined
  // before it, the test would simply wait for another worker): its share goes back.
  const auto file = ts::write_temp_file("scenario.yaml", "target: " + url_ + R"(
load: {users: 4, spawn_rate: 100, run_time: 10m}
users: [{name: wl, script: wl.lua, wait: {constant: 10ms}}]
)");
  const auto dir = file.substr(0, file.rfind('/'));
  std::ofstream(dir + "/wl.lua") << R"(local sw = require "swarmlet"
if sw.env("QA_BREAK") then error("breaks on the worker only") end
return {tasks = {function(u) u.http:get("/items") end}}
)";
  ts::process master({binary, "master", file, "--expect-workers", "1", "--port", "0", "-q",
                      "--json", dir + "/s.json"});
  const auto ports = ts::master_ports_in(master.wait_for_line("listening on"));
  ASSERT_FALSE(ports.first.empty()) << master.out() << master.err();
  auto healthy = worker(ports);
  ASSERT_FALSE(master.wait_for_err_line("all workers reached their targets: 4 users").empty())
      << master.err();
  ts::process broken({binary, "worker", "--master", "127.0.0.1:" + ports.first, "--stats-port",
                      ports.second, "--threads", "1", "--id", "broken-one"},
                     {"QA_BREAK=1"});
  EXPECT_EQ(broken.wait(), 2) << broken.err();
  EXPECT_NE(broken.err().find("the master's scenario does not load here: wl.lua:2: breaks on the "
                              "worker only"),
            std::string::npos)
      << broken.err();
  const std::string said =
      "worker broken-one cannot run the test, and leaves: the master's scenario does not load "
      "here: wl.lua:2: breaks on the worker only; its users are spread over the others";
  const std::string warned = master.wait_for_err_line("cannot run the test");
  EXPECT_NE(warned.find(said), std::string::npos) << master.err();
  // Its share went to the broken one when it joined, and comes back once the healthy one has
  // reported the users it gave up gone (their ids are free again then).
  for (int i = 0; i < 300 && !(healthy->err().find("spawn: 2 users at") != std::string::npos &&
                               last_spawn(healthy->err()).first == 4);
       ++i)
    std::this_thread::sleep_for(100ms);
  EXPECT_NE(healthy->err().find("spawn: 2 users at"), std::string::npos) << healthy->err();
  EXPECT_EQ(last_spawn(healthy->err()).first, 4) << healthy->err();
  master.signal(SIGINT);
  ASSERT_EQ(master.wait(), 0) << master.err();
  EXPECT_EQ(healthy->wait(), 0) << healthy->err();
  EXPECT_EQ(last_spawn(healthy->err()).first, 4) << healthy->err();
  const std::string err = master.err();
  std::size_t warnings_said = 0;
  for (auto at = err.find(said); at != std::string::npos; at = err.find(said, at + 1))
    ++warnings_said;
  EXPECT_EQ(warnings_said, 1u) << err;
  const auto s = nlohmann::json::parse(ts::read_file(dir + "/s.json"));
  EXPECT_EQ(s["totals"]["failures"], 0) << "no user of it failed to start: " << s["errors"].dump();
  EXPECT_GT(s["totals"]["requests"].get<std::uint64_t>(), 0u);
  EXPECT_NE(s["warnings"].dump().find(said), std::string::npos) << s["warnings"].dump();
  bool failed_event = false;
  for (const auto& e : s["worker_events"])
    failed_event = failed_event || (e["worker"] == "broken-one" && e["event"] == "failed");
  EXPECT_TRUE(failed_event) << s["worker_events"].dump();
}

TEST_F(Distributed, ExceptionsOfScriptsOnTwoWorkersNameFileLineTracebackAndWorkers) {
  const auto file = ts::write_temp_file("scenario.yaml", "target: " + url_ + R"(
load: {users: 4, spawn_rate: 100, run_time: 3s}
users: [{name: flaky, script: flaky.lua, wait: {constant: 5ms}}]
)");
  const auto dir = file.substr(0, file.rfind('/'));
  std::ofstream(dir + "/flaky.lua") << R"(local calls = 0
local function check(r)
  calls = calls + 1
  if calls % 3 == 0 then error("every third call fails") end
end
return {tasks = {function(u)
  local r = u.http:get("/")
  check(r)
end}}
)";
  ts::process master({binary, "master", file, "--expect-workers", "2", "--port", "0", "-q",
                      "--json", dir + "/s.json", "--csv", dir + "/run"});
  const auto ports = ts::master_ports_in(master.wait_for_line("listening on"));
  ASSERT_FALSE(ports.first.empty()) << master.out() << master.err();
  std::vector<std::unique_ptr<ts::process>> workers;
  for (const char* id : {"exc-a", "exc-b"})
    workers.push_back(std::make_unique<ts::process>(std::vector<std::string>{
        binary, "worker", "--master", "127.0.0.1:" + ports.first, "--stats-port", ports.second,
        "--threads", "1", "--report-interval-ms", "200", "--id", id}));
  EXPECT_EQ(master.wait(), 1) << "scripts failed: exit 1\n" << master.err();
  for (auto& w : workers) EXPECT_EQ(w->wait(), 0) << w->err();

  const auto s = nlohmann::json::parse(ts::read_file(dir + "/s.json"));
  std::uint64_t lua_failures = 0, gets = 0;
  for (const auto& r : s["requests"]) {
    if (r["method"] == "LUA") lua_failures += r["failures"].get<std::uint64_t>();
    if (r["method"] == "GET") gets += r["requests"].get<std::uint64_t>();
  }
  EXPECT_GT(lua_failures, 0u);
  EXPECT_EQ(gets, served());
  ASSERT_EQ(s["exceptions"].size(), 1u) << s["exceptions"].dump();
  const auto& e = s["exceptions"][0];
  EXPECT_EQ(e["message"], "flaky.lua:4: every third call fails");
  EXPECT_EQ(e["traceback"],
            "stack traceback:\n\tflaky.lua:4: in function 'check'\n\tflaky.lua:8: in function "
            "<flaky.lua:6>");
  EXPECT_EQ(e["count"].get<std::uint64_t>(), lua_failures) << "one exception per LUA failure";
  EXPECT_EQ(e["workers"], nlohmann::json({"exc-a", "exc-b"})) << "both workers saw it";

  const std::string csv = ts::read_file(dir + "/run_exceptions.csv");
  EXPECT_EQ(csv, "Count,Message,Traceback,Nodes\n" + std::to_string(lua_failures) +
                     ",flaky.lua:4: every third call fails,\"stack traceback:\n\tflaky.lua:4: in "
                     "function 'check'\n\tflaky.lua:8: in function <flaky.lua:6>\",\"exc-a, "
                     "exc-b\"\n");
}

TEST_F(Distributed, AScriptComputingOnAWorkersHubThreadIsWarnedOfByTheMasterNamingBoth) {
  // QA: one saturated hub thread among a worker's several went unsaid (the worker's CPU was
  // averaged over its threads), and what was said went to the master's log alone.
  const auto file = scenario_with(R"(load: {users: 3, spawn_rate: 100, run_time: 2s}
scripting: {run_limit: 10s}
users:
  - {name: spinner, script: spin.lua, weight: 1}
  - {name: browser, tasks: [{get: /}], wait: {constant: 100ms}, weight: 2}
)",
                                  {{"spin.lua", R"(return {tasks = {function(u)
  local c0 = os.clock()
  while os.clock() - c0 < 0.3 do end
end}}
)"}});
  const auto dir = file.substr(0, file.rfind('/'));
  ts::process master({binary, "master", file, "--expect-workers", "1", "--port", "0", "-q",
                      "--json", dir + "/s.json"});
  const auto ports = ts::master_ports_in(master.wait_for_line("listening on"));
  ASSERT_FALSE(ports.first.empty()) << master.out() << master.err();
  ts::process w({binary, "worker", "--master", "127.0.0.1:" + ports.first, "--stats-port",
                 ports.second, "--threads", "3", "--report-interval-ms", "200", "--id", "busy-w"});
  EXPECT_EQ(master.wait(), 0) << master.err();
  EXPECT_EQ(w.wait(), 0) << w.err();
  const auto s = nlohmann::json::parse(ts::read_file(dir + "/s.json"));
  std::vector<std::string> said;
  for (const auto& warning : s["warnings"])
    if (warning.get<std::string>().find("the generator's own delay") != std::string::npos)
      said.push_back(warning.get<std::string>());
  ASSERT_EQ(said.size(), 1u) << s["warnings"].dump();
  EXPECT_TRUE(std::regex_search(said[0], std::regex("^worker busy-w: hub thread [0-2] ")))
      << said[0];
  EXPECT_NE(master.err().find("swarmlet: WARNING: worker busy-w: hub thread "), std::string::npos)
      << "on the master's console under -q: " << master.err();
}

TEST_F(Distributed, ANameOrAnErrorLongerThanAReportCarriesIsCutNotEveryReportRefused) {
  // The stats plane carries names and error messages of up to 4,096 bytes; one longer, recorded
  // by a script (or a script's error(r.body), say), got every report of its worker refused, and
  // every request it held counted lost.
  const auto file = scenario_with(R"(load: {users: 1, spawn_rate: 100, run_time: 1s}
users: [{name: long, script: long.lua}]
)",
                                  {{"long.lua", R"(local sw = require 'swarmlet'
return {tasks = {function(u)
  sw.record{type = "X", name = string.rep("n", 5000), ms = 1}
  sw.record{type = "X", name = "short", ms = 1, error = string.rep("e", 5000)}
  sw.sleep(0.05)
end}}
)"}});
  const auto dir = file.substr(0, file.rfind('/'));
  ts::process master({binary, "master", file, "--expect-workers", "1", "--port", "0", "-q",
                      "--json", dir + "/s.json"});
  const auto ports = ts::master_ports_in(master.wait_for_line("listening on"));
  ASSERT_FALSE(ports.first.empty()) << master.out() << master.err();
  ts::process w({binary, "worker", "--master", "127.0.0.1:" + ports.first, "--stats-port",
                 ports.second, "--threads", "1", "--report-interval-ms", "200"});
  EXPECT_EQ(master.wait(), 1) << "a recorded failure: exit 1\n" << master.err();
  EXPECT_EQ(w.wait(), 0) << w.err();
  const auto s = nlohmann::json::parse(ts::read_file(dir + "/s.json"));
  EXPECT_EQ(s["warnings"].dump().find("refused"), std::string::npos) << s["warnings"].dump();
  std::uint64_t long_name = 0, failed = 0;
  for (const auto& r : s["requests"]) {
    if (r["method"] != "X") continue;
    const std::string name = r["name"];
    if (name == "short") failed += r["failures"].get<std::uint64_t>();
    if (name.rfind("nnn", 0) == 0) {
      EXPECT_EQ(name, std::string(4093, 'n') + "...");
      long_name += r["requests"].get<std::uint64_t>();
    }
  }
  EXPECT_GT(long_name, 0u) << s["requests"].dump().substr(0, 2000);
  EXPECT_EQ(failed, long_name) << "every iteration records both";
  ASSERT_EQ(s["errors"].size(), 1u) << s["errors"].dump().substr(0, 2000);
  EXPECT_EQ(s["errors"][0]["error"], std::string(4093, 'e') + "...");
  EXPECT_EQ(s["totals"]["requests"].get<std::uint64_t>(), 2 * long_name) << "none lost";
}

TEST(DistributedPorts, AWorkerWithMoreUsersThanLocalPortsIsWarnedOfByTheMasterBeforeTheyRunOut) {
  // The worker's warning that its users will run out of local ports was said on the worker's
  // own console alone, where the user of a remote worker does not look. In a network namespace
  // of its own with two local ports (the master listens on 5557 and 5558, outside them), four
  // users of the worker "far-w" connect to the target, each with a connection of its own.
  const auto file = ts::write_temp_file("s.yaml", R"(target: http://127.0.0.1:8080
load: {users: 4, spawn_rate: 100, run_time: 1s}
users: [{wait: {constant: 50ms}, tasks: [{get: /}]}]
)");
  const auto dir = file.substr(0, file.rfind('/'));
  const auto script =
      ts::write_temp_file("in_netns.sh", ts::script_with_ports_and_target("40000 40001", R"(
"$1" master "$2" -q --headless --expect-workers 1 --json "$3" &
master=$!
# Reports only at the end but for one sent at once with a warning, which must come first.
"$1" worker --master 127.0.0.1:5557 --id far-w --threads 1 --report-interval-ms 60000 2>"$4" &
worker=$!
wait "$master"
code=$?
wait "$worker")"));
  auto r = ts::run_process(ts::in_own_network_namespace(
      {"/bin/bash", script, binary, file, dir + "/s.json", dir + "/worker.err"}));
  if (r.err.rfind("unshare:", 0) == 0 || r.code == 127)
    GTEST_SKIP() << "no network namespace here: " << r.err;
  if (r.code == 77) GTEST_SKIP() << r.out << r.err;
  ASSERT_EQ(r.code, 1) << "requests failed and no threshold was set: " << r.out << r.err;
  const std::string as_ramp_begins =
      "worker far-w: 4 users, each with a connection of its own, take more than ";
  EXPECT_NE(r.err.find("swarmlet: WARNING: " + as_ramp_begins), std::string::npos)
      << "on the master's console: " << r.err;
  const auto s = nlohmann::json::parse(ts::read_file(dir + "/s.json"));
  const std::string warnings = s["warnings"].dump();
  EXPECT_NE(warnings.find(as_ramp_begins), std::string::npos) << warnings;
  EXPECT_NE(warnings.find("(net.ipv4.ip_local_port_range 40000-40001, 2 ports)"), std::string::npos)
      << warnings;
  EXPECT_NE(warnings.find("worker far-w ran out of local ports"), std::string::npos) << warnings;
  EXPECT_LT(warnings.find(as_ramp_begins), warnings.find("worker far-w ran out of local ports"))
      << "the warning came at the spawn command, before the final report's failures: " << warnings;
  EXPECT_NE(ts::read_file(dir + "/worker.err").find("swarmlet worker: WARNING: 4 users, each"),
            std::string::npos)
      << "and on the worker's own: " << ts::read_file(dir + "/worker.err");
}

TEST_F(Distributed, ReportsOfThousandsOfNamesAndErrorsMadeFromIdsAreFoldedAndCountedExactly) {
  // QA: scripted users that put an id in the URL (no `name`) and in the failure message made
  // worker reports of more than 2,000 names and errors: the master refused every one of them,
  // counted 2% of the requests, called the live workers missing and exited 0. Each of the 2
  // rows is one task of 8,200 such pairs of requests: 32,800 requests whatever the machine's
  // speed. A worker reports once a minute, but when it needs rows and when its users stop: at
  // most four reports hold a task's 8,201 names, so one holds more than 2,000.
  const auto file = scenario_with(
      "load: {users: 2, spawn_rate: 100, run_time: 600s}\n"
      "stats: {max_names: 100000}\n"  // so that a name folded was folded by its worker
      "users:\n"
      "  - {name: ids, script: ids.lua, data: {file: rows.csv, order: unique}}\n",
      {{"rows.csv", "order\nA\nB\n"}, {"ids.lua", R"(return {tasks = {function(u)
  for i = 1, 8200 do
    local id = u.vars.order .. "-" .. i
    u.http:get("/?id=" .. id)
    local r = u.http:get("/status/409", {name = "/orders", catch = true})
    r:failure("order " .. id .. " rejected: " .. r.status)
  end
end}}
)"}});
  const auto dir = file.substr(0, file.rfind('/'));
  ts::process master({binary, "master", file, "--expect-workers", "2", "--port", "0", "-q",
                      "--json", dir + "/s.json"});
  const auto ports = ts::master_ports_in(master.wait_for_line("listening on"));
  ASSERT_FALSE(ports.first.empty()) << master.out() << master.err();
  std::vector<std::unique_ptr<ts::process>> workers;
  for (const char* id : {"ids-a", "ids-b"})
    workers.push_back(std::make_unique<ts::process>(std::vector<std::string>{
        binary, "worker", "--master", "127.0.0.1:" + ports.first, "--stats-port", ports.second,
        "--threads", "1", "--report-interval-ms", "60000", "--id", id}));
  EXPECT_EQ(master.wait(), 1) << "requests failed: exit 1\n" << master.err();
  std::uint64_t sum_of_workers = 0;
  for (auto& w : workers) {
    EXPECT_EQ(w->wait(), 0) << w->err();
    sum_of_workers += sent_by(w->err());
  }
  EXPECT_EQ(master.err().find("dropped a bad frame"), std::string::npos) << master.err();
  EXPECT_EQ(master.err().find("worker missing"), std::string::npos) << master.err();
  const auto s = nlohmann::json::parse(ts::read_file(dir + "/s.json"));
  EXPECT_EQ(s["totals"]["requests"], 32800) << s["totals"].dump();
  EXPECT_EQ(s["totals"]["failures"], 16400);
  EXPECT_EQ(s["totals"]["requests"].get<std::uint64_t>(), served());
  EXPECT_EQ(sum_of_workers, 32800u);
  std::uint64_t occurrences = 0;
  for (const auto& e : s["errors"]) occurrences += e["occurrences"].get<std::uint64_t>();
  EXPECT_EQ(occurrences, 16400u) << "every failure is in the errors, its message or a catch-all";
  EXPECT_GT(s["names"]["folded_requests"].get<std::uint64_t>(), 0u)
      << "a report held more names than it may carry";
  EXPECT_EQ(s["lost"]["reports"], 0);
  ASSERT_EQ(s["workers"].size(), 2u);
  for (const auto& w : s["workers"]) EXPECT_TRUE(w["final_report"].get<bool>()) << w.dump();
}

TEST_F(Distributed, EveryUserIdIsSeenOnceAcrossThreeWorkersWithItsSequentialRowAndWorkerIndex) {
  std::string names = "name\n";
  for (int i = 1; i <= 9; ++i) names += "n" + std::to_string(i) + "\n";
  const auto file = scenario_with(
      "load: {users: 9, spawn_rate: 100, run_time: 2s}\n"
      "users:\n"
      "  - data: {file: names.csv, order: sequential}\n"
      "    wait: {constant: 50ms}\n"
      "    on_start: [{get: "
      "\"/record/login?u=${user_id}&name=${name}&w=${worker_index}&n=${worker_count}\"}]\n"
      "    tasks: [{get: /}]\n",
      {{"names.csv", names}});
  ts::process master({binary, "master", file, "--expect-workers", "3", "--port", "0", "-q"});
  const auto ports = ts::master_ports_in(master.wait_for_line("listening on"));
  ASSERT_FALSE(ports.first.empty()) << master.out() << master.err();
  std::vector<std::unique_ptr<ts::process>> workers;
  for (int i = 0; i < 3; ++i) workers.push_back(worker(ports));
  ASSERT_EQ(master.wait(), 0) << master.err();
  for (auto& w : workers) EXPECT_EQ(w->wait(), 0) << w->err();
  // Each user logged in once, with an id of its own in 1..9 (not u1, u2, u3 on every worker),
  // the row of its id, and the index of the worker it ran on: three users on each of three.
  std::map<std::string, std::uint64_t> expected;
  const auto seen = recorded();
  std::map<std::string, int> per_worker;
  for (const auto& [target, n] : seen) {
    const auto w = target.find("&w=");
    if (w != std::string::npos) ++per_worker[target.substr(w)];
  }
  for (int u = 1; u <= 9; ++u) {
    const std::string prefix =
        "/record/login?u=" + std::to_string(u) + "&name=n" + std::to_string(u) + "&w=";
    for (const auto& [target, n] : seen)
      if (target.rfind(prefix, 0) == 0) expected[target] = 1;
  }
  EXPECT_EQ(expected.size(), 9u) << "every id in 1..9, with row id-1";
  EXPECT_EQ(seen, expected) << "and each seen exactly once";
  EXPECT_EQ(per_worker,
            (std::map<std::string, int>{{"&w=0&n=3", 3}, {"&w=1&n=3", 3}, {"&w=2&n=3", 3}}));
}

TEST_F(Distributed, UniqueRowsHeldByWorkersLeftWithoutUsersDoNotKeepAnIdleTestRunning) {
  // Hunt: 6 users down to 1 left rows leased to workers with no user; the last user found none
  // (every row leased) and stopped, and the test idled with 0 users until its run time.
  const auto run = run_with_three_workers(
      unique_rows_scenario("load:\n"
                           "  stages: [{duration: 1s, users: 6, spawn_rate: 100}, {duration: "
                           "600s, users: 1, spawn_rate: 100}]\n",
                           800),
      std::chrono::seconds(300));
  ASSERT_EQ(run.code, 0) << run.out << run.err;
  const auto& s = run.summary;
  EXPECT_LT(s["duration_s"].get<double>(), 300.0) << "it ended, not at its stages' 601 s";
  const auto used = s["unique_data"][0]["rows_used"].get<std::uint64_t>();
  EXPECT_EQ(s["totals"]["requests"].get<std::uint64_t>(), used);
  EXPECT_EQ(recorded().size(), used) << "each row used once";
  if (used < 800) {
    EXPECT_NE(run.out.find("no unique data row is left to any user"), std::string::npos) << run.out;
  }
}

TEST_F(Distributed, EveryUniqueRowIsUsedOnceAcrossThreeWorkersAndUsersStopWhenNoneAreLeft) {
  const auto run = run_with_three_workers(
      unique_rows_scenario("load: {users: 6, spawn_rate: 100, run_time: 600s}\n", 120),
      std::chrono::seconds(120));
  ASSERT_EQ(run.code, 0) << run.out << run.err;
  std::map<std::string, std::uint64_t> expected;
  for (int i = 1; i <= 120; ++i) expected["/record/row?id=" + std::to_string(i)] = 1;
  EXPECT_EQ(recorded(), expected) << "each row went to exactly one iteration";
  EXPECT_EQ(run.err.find("worker missing"), std::string::npos)
      << "users that ran out of rows are no missing worker: " << run.err;
  const auto& s = run.summary;
  ASSERT_EQ(s["unique_data"].size(), 1u) << s.dump();
  EXPECT_EQ(s["unique_data"][0]["rows"], 120);
  EXPECT_EQ(s["unique_data"][0]["rows_used"], 120);
  EXPECT_EQ(s["totals"]["requests"], 120);
  EXPECT_NE(run.out.find("data rows.csv (user user1, order: unique): 120 of 120 rows used"),
            std::string::npos)
      << run.out;
  // Nothing is left to run: the test ends then, not at its 600 s (the rates divide by the time
  // the rows took).
  EXPECT_NE(run.out.find("every unique data row was used and every user has stopped: the "
                         "test ends"),
            std::string::npos)
      << run.out;
  EXPECT_LT(s["duration_s"].get<double>(), 600.0) << s.dump();
}

TEST_F(Distributed, AWorkerNeedsOnlyTheControlAddressTheStatsPortComesWithTheWelcome) {
  const auto file = scenario("{users: 4, spawn_rate: 100, run_time: 2s}");
  const auto dir = file.substr(0, file.rfind('/'));
  // Both ports picked by the kernel: the stats port is not the control port + 1.
  ts::process master({binary, "master", file, "--expect-workers", "1", "--port", "0", "-q",
                      "--json", dir + "/s.json"});
  const auto ports = ts::master_ports_in(master.wait_for_line("listening on"));
  ASSERT_FALSE(ports.first.empty()) << master.err();
  ts::process w({binary, "worker", "--master", "127.0.0.1:" + ports.first, "--threads", "1"});
  ASSERT_EQ(master.wait(), 0) << master.err();
  EXPECT_EQ(w.wait(), 0) << w.err();
  const auto total = nlohmann::json::parse(ts::read_file(dir + "/s.json"))["totals"]["requests"]
                         .get<std::uint64_t>();
  EXPECT_GT(total, 0u);
  EXPECT_EQ(total, served());
}

TEST_F(Distributed, WorkersRunTheMastersEnvironmentValuesAndTags) {
  // Only the master has SWARMLET_TEST_STATUS: a worker reading its own environment would fail
  // to load the scenario, and one ignoring the master's -E would also request /delay/1.
  const auto file = ts::write_temp_file(
      "scenario.yaml",
      "target: " + url_ +
          "\nload: {users: 2, spawn_rate: 100, run_time: 1s}\nusers: [{wait: "
          "{constant: 10ms}, tasks: [{get: \"/status/${env.SWARMLET_TEST_STATUS}\", "
          "check: {status: 204}}, {get: /delay/1, tags: [slow]}]}]\n");
  const auto dir = file.substr(0, file.rfind('/'));
  ts::process master({binary, "master", file, "--expect-workers", "1", "--port", "0", "-q",
                      "--json", dir + "/s.json", "-E", "slow"},
                     {"SWARMLET_TEST_STATUS=204"});
  const auto ports = ts::master_ports_in(master.wait_for_line("listening on"));
  ASSERT_FALSE(ports.first.empty()) << master.out() << master.err();
  auto w = worker(ports);
  ASSERT_EQ(master.wait(), 0) << master.err() << w->err();
  EXPECT_EQ(w->wait(), 0) << w->err();
  const auto s = nlohmann::json::parse(ts::read_file(dir + "/s.json"));
  ASSERT_EQ(s["requests"].size(), 1u) << s["requests"].dump();
  EXPECT_EQ(s["requests"][0]["name"], "/status/204");
  EXPECT_GT(s["requests"][0]["requests"].get<std::uint64_t>(), 0u);
  EXPECT_EQ(s["totals"]["failures"], 0);
}

TEST_F(Distributed, AKilledWorkerIsMissingAndItsUsersMoveToTheOthers) {
  const auto file = scenario("{users: 20, spawn_rate: 200, run_time: 6s}");
  const auto dir = file.substr(0, file.rfind('/'));
  ts::process master({binary, "master", file, "--expect-workers", "3", "--port", "0", "-q",
                      "--heartbeat-ms", "250", "--json", dir + "/s.json", "--web-port", "0"});
  const auto ports = ts::master_ports_in(master.wait_for_line("listening on"));
  const std::string web_line = master.wait_for_line("/metrics on");
  ASSERT_FALSE(ports.first.empty() || web_line.empty()) << master.out() << master.err();
  std::vector<std::unique_ptr<ts::process>> workers;
  for (int i = 0; i < 3; ++i) workers.push_back(worker(ports));
  // Killed once the master has numbers from every worker, the third one's among them.
  const auto so_far = poll_json(ts::url_in(web_line) + "/api/report.json",
                                [](const auto& j) { return j["workers"].size() == 3; });
  ASSERT_EQ(so_far["workers"].size(), 3u) << so_far.dump();
  workers[2]->signal(SIGKILL);
  EXPECT_EQ(master.wait(), 0) << master.err();
  EXPECT_NE(master.err().find("worker missing"), std::string::npos) << master.err();
  for (int i = 0; i < 2; ++i) {
    workers[i]->wait();
    EXPECT_EQ(last_spawn(workers[i]->err()).first, 10)
        << "20 users over the 2 left: " << workers[i]->err();
  }
  const auto s = nlohmann::json::parse(ts::read_file(dir + "/s.json"));
  int finals = 0;
  for (const auto& w : s["workers"]) finals += w["final_report"].get<bool>() ? 1 : 0;
  EXPECT_EQ(s["workers"].size(), 3u) << "the lost worker's numbers up to its death are kept";
  EXPECT_EQ(finals, 2) << "the report says which worker never sent its final numbers";
  EXPECT_GT(s["totals"]["requests"].get<std::uint64_t>(), 0u);
}

TEST_F(Distributed, AWorkerRestartedUnderItsIdIsCountedAfreshAndTheOneBeforeIsKept) {
  // As Kubernetes restarts a pod's container: the same --id, a new process numbering its
  // reports and names from 1. They were all refused as repeats of the dead one's.
  const auto file = scenario("{users: 10, spawn_rate: 200, run_time: 5s}");
  const auto dir = file.substr(0, file.rfind('/'));
  ts::process master({binary, "master", file, "--expect-workers", "2", "--port", "0", "-q",
                      "--heartbeat-ms", "250", "--json", dir + "/s.json", "--web-port", "0"});
  const auto ports = ts::master_ports_in(master.wait_for_line("listening on"));
  const std::string web_line = master.wait_for_line("/metrics on");
  ASSERT_FALSE(ports.first.empty() || web_line.empty()) << master.out() << master.err();
  auto named = [&](const std::string& id) {
    return std::make_unique<ts::process>(std::vector<std::string>{
        binary, "worker", "--master", "127.0.0.1:" + ports.first, "--stats-port", ports.second,
        "--threads", "1", "--report-interval-ms", "200", "--id", id});
  };
  auto a = named("a");
  auto b = named("b");
  const auto report = ts::url_in(web_line) + "/api/report.json";
  auto reports_of = [](const nlohmann::json& j, const std::string& id) -> std::uint64_t {
    for (const auto& w : j["workers"])
      if (w["id"] == id) return w["reports"].get<std::uint64_t>();
    return 0;
  };
  ASSERT_GT(
      reports_of(poll_json(report, [&](const auto& j) { return reports_of(j, "b") > 2; }), "b"),
      2u);
  b->signal(SIGKILL);
  b->wait();
  auto again = named("b");
  EXPECT_EQ(master.wait(), 0) << master.err();
  a->wait();
  again->wait();
  const auto s = nlohmann::json::parse(ts::read_file(dir + "/s.json"));
  EXPECT_EQ(s["rejected_reports"], 0) << s.dump();
  std::map<std::string, nlohmann::json> workers;
  for (const auto& w : s["workers"]) workers[w["id"].get<std::string>()] = w;
  ASSERT_EQ(workers.size(), 3u) << s["workers"].dump();
  ASSERT_TRUE(workers.contains("b (before its restart)")) << s["workers"].dump();
  EXPECT_GT(workers["b (before its restart)"]["reports"].get<std::uint64_t>(), 2u);
  EXPECT_GT(workers["b"]["reports"].get<std::uint64_t>(), 0u) << "the new process is counted";
  EXPECT_EQ(workers["b"]["lost_requests"], 0) << s["workers"].dump();
  EXPECT_TRUE(workers["b"]["final_report"].get<bool>());
  EXPECT_LE(s["peak_users"].get<int>(), 10) << "the dead process's users are not counted again";
  bool said = false;
  for (const auto& e : s["worker_events"])
    said = said || (e["worker"] == "b" && e["event"] == "restarted");
  EXPECT_TRUE(said) << s["worker_events"].dump();
  // The killed process's requests since its last report are in no count: said (hunt: nothing
  // said so, and the report looked whole).
  bool warned = false;
  for (const auto& w : s["warnings"])
    warned = warned || w.get<std::string>().starts_with(
                           "b restarted under its id before its old process sent its final report");
  EXPECT_TRUE(warned) << s["warnings"].dump();
  // Every request the survivors sent was counted, and what the target served beyond the
  // report is only what the killed process had not reported yet.
  const auto counted = s["totals"]["requests"].get<std::uint64_t>();
  EXPECT_GE(served(), counted);
  EXPECT_GT(counted, sent_by(a->err()) + sent_by(again->err()));
}

TEST_F(Distributed, AWorkerRestartedUnderItsIdRunsUniqueRowsNoneOfWhichRanBefore) {
  // The new process got the dead one's lease of unique rows and ran them from the first: the
  // rows the dead one had used went to a second iteration.
  std::string rows = "id\n";
  for (int i = 1; i <= 400; ++i) rows += std::to_string(i) + "\n";
  const auto file = scenario_with(
      "load: {users: 4, spawn_rate: 100, run_time: 600s}\n"
      "users:\n"
      "  - data: {file: rows.csv, order: unique}\n"
      "    wait: {constant: 50ms}\n"
      "    tasks: [{get: \"/record/row?id=${id}\"}]\n",
      {{"rows.csv", rows}});
  const auto dir = file.substr(0, file.rfind('/'));
  ts::process master({binary, "master", file, "--expect-workers", "2", "--port", "0", "-q",
                      "--heartbeat-ms", "250", "--json", dir + "/s.json", "--web-port", "0"});
  const auto ports = ts::master_ports_in(master.wait_for_line("listening on"));
  const std::string web_line = master.wait_for_line("/metrics on");
  ASSERT_FALSE(ports.first.empty() || web_line.empty()) << master.out() << master.err();
  auto named = [&](const std::string& id) {
    return std::make_unique<ts::process>(std::vector<std::string>{
        binary, "worker", "--master", "127.0.0.1:" + ports.first, "--stats-port", ports.second,
        "--threads", "1", "--report-interval-ms", "200", "--id", id});
  };
  auto a = named("a");
  auto b = named("b");
  // b has run rows of its lease (both workers run 2 users, and 40 rows are used in all). The
  // live report shows the rows used as the workers report them.
  const auto used_by = [](const nlohmann::json& j) -> std::uint64_t {
    if (j["unique_data"].size() != 1) return 0;
    return j["unique_data"][0]["rows_used"].get<std::uint64_t>();
  };
  const auto report = ts::url_in(web_line) + "/api/report.json";
  ASSERT_GE(used_by(poll_json(report, [&](const auto& j) { return used_by(j) >= 40; })), 40u);
  b->signal(SIGKILL);
  b->wait();
  auto again = named("b");
  EXPECT_EQ(master.wait(), 0) << master.err();
  a->wait();
  again->wait();
  std::uint64_t twice = 0, seen = 0;
  for (const auto& [target, times] : recorded()) {
    ++seen;
    if (times > 1) ++twice;
  }
  EXPECT_EQ(twice, 0u) << "of " << seen << " rows seen";
  EXPECT_GT(seen, 200u) << "the test ran its rows";
  bool said = false;
  const auto s = nlohmann::json::parse(ts::read_file(dir + "/s.json"));
  for (const auto& e : s["worker_events"])
    said = said || (e["worker"] == "b" && e["event"] == "restarted");
  EXPECT_TRUE(said) << s["worker_events"].dump();
}

TEST_F(Distributed, AnInterruptedWorkerSaysGoodbyeThenSendsItsUsersFinalReport) {
  // Ctrl-C on a worker lost what its users did since its last report, and the master's report
  // said nothing was lost. Now, as Locust's worker, it reports them on its way out.
  const auto file = scenario("{users: 20, spawn_rate: 200, run_time: 4s}");
  const auto dir = file.substr(0, file.rfind('/'));
  ts::process master({binary, "master", file, "--expect-workers", "2", "--port", "0", "-q",
                      "--json", dir + "/s.json"});
  const auto ports = ts::master_ports_in(master.wait_for_line("listening on"));
  ASSERT_FALSE(ports.first.empty()) << master.out() << master.err();
  std::vector<std::unique_ptr<ts::process>> workers;
  // Reports only every 10 s: all that the interrupted worker's users did is in its final one.
  for (int i = 0; i < 2; ++i)
    workers.push_back(std::make_unique<ts::process>(std::vector<std::string>{
        binary, "worker", "--master", "127.0.0.1:" + ports.first, "--stats-port", ports.second,
        "--threads", "1", "--report-interval-ms", "10000"}));
  ASSERT_FALSE(master.wait_for_err_line("all workers reached their targets: 20 users").empty())
      << master.err();
  workers[1]->signal(SIGINT);
  EXPECT_EQ(workers[1]->wait(), 0) << workers[1]->err();
  EXPECT_NE(workers[1]->err().find("the final report of the run is on its way"), std::string::npos)
      << workers[1]->err();
  ASSERT_EQ(master.wait(), 0) << master.err();
  EXPECT_NE(master.err().find("worker left"), std::string::npos) << master.err();
  workers[0]->wait();
  EXPECT_EQ(last_spawn(workers[0]->err()).first, 20) << "its users moved: " << workers[0]->err();
  const auto s = nlohmann::json::parse(ts::read_file(dir + "/s.json"));
  EXPECT_EQ(s["totals"]["requests"].get<std::uint64_t>(), served());
  EXPECT_GT(sent_by(workers[1]->err()), 0u) << workers[1]->err();
  ASSERT_EQ(s["workers"].size(), 2u);
  for (const auto& w : s["workers"]) {
    EXPECT_TRUE(w["final_report"].get<bool>()) << w.dump();
    EXPECT_EQ(w["lost_reports"], 0) << w.dump();
  }
}

TEST_F(Distributed, AWorkerInterruptedTwiceLeavesWithoutWaitingForItsUsersRequests) {
  // The second Ctrl-C ended the link at once, but each hub thread still gave its users the
  // grace of a request timeout (here an hour) before it let the process end. The target takes
  // connections and never answers: the worker must go while its users still wait on it.
  ts::silent_listener silent;
  const auto file = silent.scenario("{users: 2, spawn_rate: 100, run_time: 1h}");
  ts::process master({binary, "master", file, "--expect-workers", "1", "--port", "0", "-q"});
  const auto ports = ts::master_ports_in(master.wait_for_line("listening on"));
  ASSERT_FALSE(ports.first.empty()) << master.out() << master.err();
  auto w = worker(ports);
  ASSERT_FALSE(master.wait_for_err_line("all workers reached their targets: 2 users").empty())
      << master.err();
  w->signal(SIGINT);
  ASSERT_FALSE(w->wait_for_err_line("interrupt again").empty()) << w->err();
  w->signal(SIGINT);
  EXPECT_EQ(w->wait(30s), 0) << "not gone within the wait's deadline: " << w->err();
}

TEST_F(Distributed, AMasterInterruptedTwiceStopsWaitingForFinalReportsAndSaysTheyAreMissing) {
  // A master stopping a test waits for its workers' final reports as long as their users may
  // take to end (here, on a target that hung, two hours), and a second Ctrl-C was not seen.
  ts::silent_listener silent;
  const auto file = silent.scenario("{users: 2, spawn_rate: 100}");
  const auto dir = file.substr(0, file.rfind('/'));
  ts::process master({binary, "master", file, "--expect-workers", "1", "--port", "0", "--web-port",
                      "0", "--json", dir + "/s.json"});
  const auto ports = ts::master_ports_in(master.wait_for_line("listening on"));
  const std::string web_line = master.wait_for_line("/metrics on");
  ASSERT_FALSE(ports.first.empty() || web_line.empty()) << master.out() << master.err();
  auto w = worker(ports);
  ASSERT_TRUE(silent.accept_one() && silent.accept_one()) << "no users came: " << w->err();
  // Interrupted once the worker has reported, so that the report has it to say so of.
  const auto so_far = poll_json(ts::url_in(web_line) + "/api/report.json",
                                [](const auto& j) { return j["workers"].size() == 1; });
  ASSERT_EQ(so_far["workers"].size(), 1u) << so_far.dump();
  master.signal(SIGINT);
  // What the second interrupt skips on a master is the wait for the final reports; it said
  // "requests in flight", which is `run`'s.
  EXPECT_FALSE(master
                   .wait_for_err_line("SIGINT: stopping the test (interrupt again to stop without "
                                      "waiting for the workers' final reports)")
                   .empty())
      << master.err();
  ASSERT_FALSE(master.wait_for_line("waiting for the workers' final reports").empty())
      << master.out();
  master.signal(SIGINT);
  EXPECT_EQ(master.wait(30s), 0) << "not gone within the wait's deadline: " << master.err();
  EXPECT_NE(master.err().find("SIGINT again: not waiting for the workers' final reports\n"),
            std::string::npos)
      << master.err();
  EXPECT_NE(master.out().find("not every worker sent its final report"), std::string::npos)
      << master.out() << master.err();
  const auto s = nlohmann::json::parse(ts::read_file(dir + "/s.json"));
  ASSERT_EQ(s["workers"].size(), 1u) << s.dump();
  EXPECT_FALSE(s["workers"][0]["final_report"].get<bool>()) << s.dump();
  EXPECT_NE(s["warnings"].dump().find("not every worker sent its final report"), std::string::npos)
      << "a reader of the JSON report is told too: " << s["warnings"].dump();
}

TEST_F(Distributed, AWorkerToldToQuitLeavesAtACtrlCWithoutWaitingForItsUsersRequests) {
  // Once its master said quit, a worker gave users still in a request the grace of a request
  // timeout (here an hour), and did not see a Ctrl-C meanwhile: its hub was blocked joining
  // its hub threads. A master here in the test: a real one waits as long for the final report.
  ts::silent_listener silent;
  swarmlet::green::hub hub;
  zmq::context_t context;
  namespace p = swarmlet::proto;
  p::zmq_master_transport master(context, {"127.0.0.1", 0, 0, std::nullopt});
  const std::string control = master.control_endpoint();
  ts::process w({binary, "worker", "--master", control.substr(control.rfind('/') + 1),
                 "--stats-port", std::to_string(master.stats_port()), "--threads", "1"});
  const p::received hello = master.receive_control();
  ASSERT_TRUE(std::holds_alternative<p::message>(hello.content));
  ASSERT_EQ(std::get<p::message>(hello.content).type, p::message_type::hello);
  p::welcome_payload welcome;
  welcome.scenario_name = "quit.yaml";
  welcome.target = silent.url();
  welcome.scenario_yaml = "target: " + silent.url() +
                          "\nhttp: {timeout: 1h}\nload: {users: 2, spawn_rate: 100}\n"
                          "users: [{name: waiter, tasks: [{get: /}]}]\n";
  welcome.stats_port = master.stats_port();
  ASSERT_TRUE(
      master.send(hello.peer, p::make_message(p::message_type::welcome, "master", welcome)));
  p::spawn_command spawn;
  spawn.run_id = 1;
  spawn.command_id = 1;
  spawn.users_per_class = {{"waiter", 2}};
  spawn.spawn_rate = 100;
  ASSERT_TRUE(master.send(hello.peer, p::make_message(p::message_type::spawn, "master", spawn)));
  ASSERT_TRUE(silent.accept_one() && silent.accept_one()) << "no users came: " << w.err();
  ASSERT_TRUE(master.send(hello.peer, p::make_message(p::message_type::quit, "master")));
  ASSERT_FALSE(w.wait_for_err_line("the master said quit").empty()) << w.err();
  w.signal(SIGINT);
  EXPECT_EQ(w.wait(30s), 0) << "not gone within the wait's deadline: " << w.err();
  EXPECT_NE(w.err().find("leaving now, without waiting for the users' requests"), std::string::npos)
      << w.err();
}

TEST_F(Distributed, AMasterOnAnIPv6AddressHasItsWorkersAndCountsExactly) {
  // A worker's --master refused IPv6 addresses: ZeroMQ's sockets were not opened for IPv6.
  const int probe = ::socket(AF_INET6, SOCK_STREAM, 0);
  sockaddr_in6 loopback{};
  loopback.sin6_family = AF_INET6;
  loopback.sin6_addr = in6addr_loopback;
  const bool has_ipv6 =
      probe >= 0 && ::bind(probe, reinterpret_cast<sockaddr*>(&loopback), sizeof loopback) == 0;
  if (probe >= 0) ::close(probe);
  if (!has_ipv6) GTEST_SKIP() << "no IPv6 loopback (::1) here";
  const auto file = scenario("{users: 4, spawn_rate: 100, run_time: 2s}");
  const auto dir = file.substr(0, file.rfind('/'));
  ts::process master({binary, "master", file, "--expect-workers", "1", "--bind", "::1", "--port",
                      "0", "-q", "--json", dir + "/s.json"});
  const auto ports = ts::master_ports_in(master.wait_for_line("listening on"));
  ASSERT_FALSE(ports.first.empty()) << master.out() << master.err();
  // Only the control address: the stats port comes with the welcome, at the same address.
  ts::process w({binary, "worker", "--master", "[::1]:" + ports.first, "--threads", "1"});
  ASSERT_EQ(master.wait(), 0) << master.err() << w.err();
  const auto s = nlohmann::json::parse(ts::read_file(dir + "/s.json"));
  EXPECT_GT(s["totals"]["requests"].get<std::uint64_t>(), 0u);
  EXPECT_EQ(s["totals"]["requests"].get<std::uint64_t>(), served());
  EXPECT_EQ(w.wait(), 0) << w.err();
}

TEST_F(Distributed, WithoutItsWorkersTheMasterNamesThePortItReallyListensOn) {
  // With --port 0 the hint said "swarmlet worker --master HOST:0".
  const auto file = scenario("{users: 1, spawn_rate: 1, run_time: 1s}");
  ts::process master({binary, "master", file, "--expect-workers", "1", "--port", "0", "-q",
                      "--expect-workers-timeout", "1s"});
  const auto ports = ts::master_ports_in(master.wait_for_line("listening on"));
  ASSERT_FALSE(ports.first.empty()) << master.out() << master.err();
  EXPECT_NE(master.wait(), 0);
  EXPECT_NE(master.err().find("only 0 of 1 expected workers joined within 1s; start them with: "
                              "swarmlet worker --master HOST:" +
                              ports.first + "\n"),
            std::string::npos)
      << master.err();
}

TEST_F(Distributed, AMasterInterruptedWhileWaitingForItsWorkersSaysSoAndExitsAsAskedTo) {
  // It said "only 0 of 2 expected workers joined; start them with: ..." and exited 3, the
  // code of workers that did not come in time, although the user had asked it to quit.
  const auto file = scenario("{users: 1, spawn_rate: 1, run_time: 1s}");
  ts::process master({binary, "master", file, "--expect-workers", "2", "--port", "0", "-q"});
  const auto ports = ts::master_ports_in(master.wait_for_line("listening on"));
  ASSERT_FALSE(ports.first.empty()) << master.out() << master.err();
  auto w = worker(ports);
  ASSERT_FALSE(master.wait_for_err_line("worker joined").empty()) << master.err();
  master.signal(SIGINT);
  EXPECT_EQ(master.wait(), 0) << master.err();
  EXPECT_NE(master.err().find("swarmlet master: interrupted while waiting for workers (1 of 2 "
                              "joined): no test ran\n"),
            std::string::npos)
      << master.err();
  EXPECT_EQ(master.err().find("start them with"), std::string::npos) << master.err();
  EXPECT_EQ(served(), 0u);
}

TEST_F(Distributed, AnExpectWorkersTimeoutOfZeroWaitsWithoutALimit) {
  // As Locust's --expect-workers-max-wait 0 and swarmlet's -t 0 (QA: it gave up at once).
  const auto file = scenario("{users: 1, spawn_rate: 1, run_time: 1s}");
  ts::process master({binary, "master", file, "--expect-workers", "1", "--port", "0", "-q",
                      "--expect-workers-timeout", "0"});
  const auto ports = ts::master_ports_in(master.wait_for_line("listening on"));
  ASSERT_FALSE(ports.first.empty()) << master.out() << master.err();
  master.wait_for_line("waiting for 1 worker(s)");
  auto w = worker(ports);
  EXPECT_EQ(master.wait(), 0) << master.err();
  EXPECT_EQ(w->wait(), 0) << w->err();
}

TEST_F(Distributed, WorkersStartedFirstWaitAndARestartedMasterGetsThemBack) {
  const auto file = scenario("{users: 6, spawn_rate: 100, run_time: 2s}");
  const auto dir = file.substr(0, file.rfind('/'));
  // Fixed ports are needed for a restart: two free ones, control and stats.
  const int control = ts::free_loopback_port(2);
  const std::pair<std::string, std::string> ports{std::to_string(control),
                                                  std::to_string(control + 1)};
  std::vector<std::unique_ptr<ts::process>> workers;
  for (int i = 0; i < 2; ++i) workers.push_back(worker(ports));  // before any master
  for (auto& w : workers) ASSERT_FALSE(w->wait_for_err_line("connecting to").empty()) << w->err();
  {
    ts::process first({binary, "master", file, "--expect-workers", "2", "--port", ports.first,
                       "--stats-port", ports.second, "-q", "-t", "1h", "--heartbeat-ms", "200"});
    ASSERT_FALSE(first.wait_for_line("listening on").empty()) << first.err();
    for (auto& w : workers) ASSERT_FALSE(w->wait_for_err_line("spawn:").empty()) << w->err();
    first.signal(SIGKILL);  // a crash mid-test
    first.wait();
  }
  for (auto& w : workers) {
    EXPECT_FALSE(w->wait_for_err_line("saying hello again").empty())
        << "orphans stop their users: " << w->err();
    // Their requests in flight are done (and counted by the target) before the next test.
    EXPECT_FALSE(w->wait_for_err_line("users stopped").empty()) << w->err();
  }
  const auto before = served();
  ts::process second({binary, "master", file, "--expect-workers", "2", "--port", ports.first,
                      "--stats-port", ports.second, "-q", "--json", dir + "/s2.json",
                      "--heartbeat-ms", "200"});
  ASSERT_EQ(second.wait(), 0) << second.err();
  const auto s = nlohmann::json::parse(ts::read_file(dir + "/s2.json"));
  EXPECT_GT(s["totals"]["requests"].get<std::uint64_t>(), 0u);
  EXPECT_EQ(s["totals"]["requests"].get<std::uint64_t>(), served() - before)
      << "the new run counts only its own requests";
  for (auto& w : workers) EXPECT_EQ(w->wait(), 0);
}

TEST_F(Distributed, GarbageOnBothPortsIsCountedAndDroppedWithoutHarm) {
  const auto file = scenario("{users: 4, spawn_rate: 100, run_time: 3s}");
  const auto dir = file.substr(0, file.rfind('/'));
  ts::process master({binary, "master", file, "--expect-workers", "1", "--port", "0", "-q",
                      "--json", dir + "/s.json"});
  const auto ports = ts::master_ports_in(master.wait_for_line("listening on"));
  ASSERT_FALSE(ports.first.empty());
  {
    zmq::context_t ctx;
    zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
    dealer.set(zmq::sockopt::routing_id, "intruder");
    dealer.connect("tcp://127.0.0.1:" + ports.first);
    zmq::socket_t push(ctx, zmq::socket_type::push);
    push.connect("tcp://127.0.0.1:" + ports.second);
    for (int i = 0; i < 50; ++i) {
      const std::string junk = "\xc1\xff garbage " + std::to_string(i);
      dealer.send(zmq::buffer(junk));
      push.send(zmq::buffer(junk));
    }
    // Well-formed but truncated, and a hello of another protocol version, which is refused.
    auto hello = swarmlet::proto::make_message(swarmlet::proto::message_type::hello, "intruder",
                                               swarmlet::proto::hello_payload{"x", 1, 1});
    std::string bytes = swarmlet::proto::encode(hello);
    dealer.send(zmq::buffer(bytes.substr(0, bytes.size() / 2)));
    hello.version = 99;
    bytes = swarmlet::proto::encode(hello);
    dealer.send(zmq::buffer(bytes));
    zmq::message_t reply;
    dealer.set(zmq::sockopt::rcvtimeo, 5000);
    ASSERT_TRUE(dealer.recv(reply));
    auto decoded = swarmlet::proto::decode(reply.data(), reply.size());
    ASSERT_TRUE(std::holds_alternative<swarmlet::proto::message>(decoded));
    const auto& m = std::get<swarmlet::proto::message>(decoded);
    EXPECT_EQ(m.type, swarmlet::proto::message_type::refused);
    EXPECT_NE(std::get<swarmlet::proto::refused_payload>(m.body).reason.find("protocol"),
              std::string::npos);
    // Stats from a worker the master never met are rejected.
    swarmlet::proto::stats_report fake;
    fake.run_id = 1;
    fake.sequence = 1;
    fake.delta.entry("GET", "/fake").record(1, 1, false);
    bytes = swarmlet::proto::encode(
        swarmlet::proto::make_message(swarmlet::proto::message_type::stats, "ghost", fake));
    push.send(zmq::buffer(bytes));
    // Raw TCP noise that is not even ZMTP.
    ts::run_process({"/usr/bin/python3", "-c",
                     "import socket; s=socket.create_connection(('127.0.0.1'," + ports.first +
                         ")); s.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n' * 100); s.close()"});
  }
  auto w = worker(ports);
  ASSERT_EQ(master.wait(), 0) << master.err();
  const auto s = nlohmann::json::parse(ts::read_file(dir + "/s.json"));
  EXPECT_GE(s["bad_frames"].get<int>(), 100) << master.err();
  EXPECT_GE(s["rejected_reports"].get<int>(), 1);
  EXPECT_EQ(s["totals"]["requests"].get<std::uint64_t>(), served())
      << "the test's numbers are unaffected";
  for (const auto& r : s["requests"]) EXPECT_NE(r["name"], "/fake");
  w->wait();
}

}  // namespace

namespace {

/// Iterations the run started or dropped: every arrival is one or the other.
std::uint64_t arrivals(const nlohmann::json& s) {
  return s["totals"]["requests"].get<std::uint64_t>() +
         s["totals"]["dropped_iterations"].get<std::uint64_t>();
}

TEST_F(Distributed, ThreeWorkersTogetherKeepTheRequestedArrivalRate) {
  const auto file = ts::write_temp_file("open.yaml", "target: " + url_ + R"(
load: {arrival_rate: {rate: 300/s, max_users: 300}, run_time: 10s}
users: [{tasks: [{get: /}]}]
)");
  const auto dir = file.substr(0, file.rfind('/'));
  ts::process master({binary, "master", file, "--expect-workers", "3", "--port", "0", "-q",
                      "--json", dir + "/s.json"});
  const auto ports = ts::master_ports_in(master.wait_for_line("listening on"));
  ASSERT_FALSE(ports.first.empty());
  std::vector<std::unique_ptr<ts::process>> workers;
  for (int i = 0; i < 3; ++i) workers.push_back(worker(ports));
  ASSERT_EQ(master.wait(), 0) << master.err();
  const auto s = nlohmann::json::parse(ts::read_file(dir + "/s.json"));
  // Counted, not timed: 10 s at 300/s is 3,000 arrivals; within 2%.
  EXPECT_NEAR(static_cast<double>(arrivals(s)), 3000.0, 60.0) << s["totals"].dump();
  EXPECT_EQ(s["totals"]["requests"].get<std::uint64_t>(), served());
  for (auto& w : workers) {
    w->wait();
    // Hunt: each said "spawn: 0 users at 0.5/s".
    EXPECT_NE(w->err().find("spawn: the test's arrivals at 300/s, up to "), std::string::npos)
        << w->err();
    EXPECT_EQ(w->err().find("spawn: 0 users"), std::string::npos) << w->err();
  }
}

}  // namespace

namespace {

TEST_F(Distributed, TheHttpApiStartsSteersResetsAndStopsTestsOnAMasterWithWorkers) {
  const auto file = scenario("{users: 1, spawn_rate: 1}");
  const auto dir = file.substr(0, file.rfind('/'));
  ts::process master({binary, "master", file, "--web-ui", "--web-port", "0", "--port", "0", "-q",
                      "--csv", dir + "/r"});
  const auto ports = ts::master_ports_in(master.wait_for_line("listening on"));
  const std::string web_line = master.wait_for_line("/metrics on");
  ASSERT_FALSE(ports.first.empty() || web_line.empty()) << master.out() << master.err();
  const std::string api = ts::url_in(web_line);
  std::vector<std::unique_ptr<ts::process>> workers;
  for (int i = 0; i < 2; ++i) workers.push_back(worker(ports));
  ASSERT_EQ(poll_json(api + "/api/workers", [](const auto& j) { return j.size() == 2; }).size(),
            2u);
  EXPECT_EQ(nlohmann::json::parse(ts::http_call("GET", api + "/api/stats").body)["state"], "ready");

  // A posted scenario (YAML): the workers are welcomed with it and run it.
  const std::string posted = "target: " + url_ +
                             "\nload: {users: 4, spawn_rate: 100}\nusers: [{wait: {constant: 5ms}, "
                             "tasks: [{get: /cart, name: posted}]}]\n";
  const auto first_start = ts::http_call("POST", api + "/api/start", posted, "application/yaml");
  ASSERT_EQ(first_start.status, 202) << first_start.body;
  auto stats = poll_json(api + "/api/stats", [](const auto& j) {
    return j["total"]["requests"].template get<int>() > 0;
  });
  ASSERT_EQ(stats["stats"].size(), 1u) << stats.dump();
  EXPECT_EQ(stats["stats"][0]["name"], "posted");
  EXPECT_EQ(ts::http_call("POST", api + "/api/start", "{}").status, 409) << "one test at a time";
  auto users_of_workers = [&] {
    int n = 0;
    for (const auto& w : nlohmann::json::parse(ts::http_call("GET", api + "/api/workers").body))
      n += w["users"].get<int>();
    return n;
  };
  for (int i = 0; i < 300 && users_of_workers() != 4; ++i) std::this_thread::sleep_for(100ms);
  EXPECT_EQ(users_of_workers(), 4);
  for (const auto& w : nlohmann::json::parse(ts::http_call("GET", api + "/api/workers").body)) {
    EXPECT_EQ(w["state"], "ready");
    EXPECT_GE(w["cpu_percent"].get<double>(), 0.0) << "heartbeats carry the worker's CPU";
    EXPECT_FALSE(w["host"].get<std::string>().empty());
  }

  EXPECT_EQ(ts::http_call("POST", api + "/api/swarm", R"({"users": 8, "spawn_rate": 100})").status,
            202);
  stats = poll_json(api + "/api/stats", [](const auto& j) { return j["users"] == 8; });
  EXPECT_EQ(stats["users"], 8);

  const auto before_reset = stats["total"]["requests"].get<std::uint64_t>();
  const auto served_before_reset = served();
  EXPECT_EQ(ts::http_call("POST", api + "/api/reset").status, 200);
  EXPECT_LT(
      nlohmann::json::parse(ts::http_call("GET", api + "/api/stats").body)["total"]["requests"]
          .get<std::uint64_t>(),
      before_reset + 1);
  poll_json(api + "/api/stats",
            [](const auto& j) { return j["total"]["requests"].template get<int>() > 0; });
  auto csv = ts::http_call("GET", api + "/api/report/stats.csv");
  EXPECT_EQ(csv.status, 200);
  EXPECT_NE(csv.body.find("GET,posted,"), std::string::npos) << csv.body;
  EXPECT_EQ(ts::http_call("GET", api + "/api/report.html").status, 200);

  EXPECT_EQ(ts::http_call("POST", api + "/api/stop").status, 202);
  stats = poll_json(api + "/api/stats", [](const auto& j) { return j["state"] == "stopped"; });
  EXPECT_EQ(stats["state"], "stopped");
  // Since the reset, no more than the target served after it began (and the 8 users' requests
  // in flight then): the workers' reports of requests from before it counted, up to a report
  // interval of them.
  const auto counted_since_reset = stats["total"]["requests"].get<std::uint64_t>();
  const auto served_since_reset = served() - served_before_reset;
  EXPECT_LE(counted_since_reset, served_since_reset + 8);
  EXPECT_GT(counted_since_reset, 0u) << "the requests after the reset count";

  // A second test from JSON: the posted scenario stays; its count is exactly what the target
  // served.
  const auto served_before = served();
  const auto second_start = ts::http_call("POST", api + "/api/start",
                                          R"({"users": 2, "spawn_rate": 100, "run_time": "2s"})");
  ASSERT_EQ(second_start.status, 202) << second_start.body;
  stats = poll_json(api + "/api/stats", [](const auto& j) { return j["state"] == "stopped"; });
  EXPECT_EQ(stats["state"], "stopped");
  EXPECT_EQ(stats["stats"][0]["name"], "posted");
  EXPECT_GT(stats["total"]["requests"].get<std::uint64_t>(), 0u);
  EXPECT_EQ(stats["total"]["requests"].get<std::uint64_t>(), served() - served_before);
  EXPECT_NE(ts::read_file(dir + "/r_stats.csv").find("GET,posted,"), std::string::npos)
      << "reports at each test's end";

  EXPECT_EQ(ts::http_call("POST", api + "/api/quit").status, 202);
  // The last test decides: its requests all failed (/cart wants a token) and it had no
  // threshold, so --exit-code-on-error's default.
  EXPECT_EQ(master.wait(30s), 1) << master.err();
  for (auto& w : workers) EXPECT_EQ(w->wait(30s), 0) << w->err();
}

}  // namespace

namespace {

TEST_F(Distributed, TheBackdoorsOfAMasterAndAWorkerListWorkersStartAndStopATest) {
  const auto file = scenario("{users: 1, spawn_rate: 1}");
  ts::process master({binary, "master", file, "--web-ui", "--no-web", "--port", "0", "-q",
                      "--backdoor-port", "0"});
  const auto ports = ts::master_ports_in(master.wait_for_line("listening on"));
  const std::string door = master.wait_for_line("backdoor console on");
  ASSERT_FALSE(ports.first.empty() || door.empty()) << master.out() << master.err();
  ts::process w({binary, "worker", "--master", "127.0.0.1:" + ports.first, "--stats-port",
                 ports.second, "--threads", "1", "--report-interval-ms", "200", "--backdoor-port",
                 "0"});
  const std::string worker_door = w.wait_for_line("backdoor console on");
  ASSERT_FALSE(worker_door.empty()) << w.err();
  ASSERT_FALSE(w.wait_for_err_line("registered").empty()) << w.err();

  const auto said = ts::talk_to_backdoor(door.substr(door.rfind(':') + 1),
                                         {"help", "workers", "spawn 3 100", "until 3 users|users",
                                          "threads", "stats", "stop", "quit"});
  EXPECT_NE(said.find("spawn N RATE"), std::string::npos) << said;
  EXPECT_NE(said.find("\"state\":\"ready\""), std::string::npos) << "workers: " << said;
  EXPECT_NE(said.find("started a test with 3 users"), std::string::npos) << said;
  EXPECT_NE(said.find("> 3 users\n"), std::string::npos) << said;
  EXPECT_NE(said.find("parked on zmq recv"), std::string::npos) << "threads: " << said;
  EXPECT_NE(said.find("Aggregated"), std::string::npos) << said;
  EXPECT_NE(said.find("stopping"), std::string::npos) << said;

  const auto worker_said = ts::talk_to_backdoor(worker_door.substr(worker_door.rfind(':') + 1),
                                                {"help", "threads", "quit"});
  EXPECT_NE(worker_said.find("parked on"), std::string::npos) << worker_said;

  master.signal(SIGINT);
  EXPECT_EQ(master.wait(30s), 0) << master.err();
  EXPECT_EQ(w.wait(30s), 0) << w.err();
}

}  // namespace

namespace {

TEST_F(Distributed, WithCurveOnlyWorkersThatKnowTheMastersKeyAndAreListedGetIn) {
  const auto file = scenario("{users: 4, spawn_rate: 100, run_time: 2s}");
  const auto dir = file.substr(0, file.rfind('/'));
  for (const char* name : {"master", "listed", "unlisted"})
    ASSERT_EQ(ts::run_process({binary, "keygen", dir + "/" + name}).code, 0) << name;
  ts::process master({binary, "master", file, "--expect-workers", "1", "--port", "0", "-q",
                      "--no-web", "--json", dir + "/s.json", "--curve-key", dir + "/master.key",
                      "--curve-allow", dir + "/listed.pub"});
  const auto ports = ts::master_ports_in(master.wait_for_line("listening on"));
  ASSERT_FALSE(ports.first.empty()) << master.err();
  const std::string address = "127.0.0.1:" + ports.first;
  auto worker_with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args{binary, "worker", "--master", address, "--threads", "1"};
    args.insert(args.end(), extra.begin(), extra.end());
    return std::make_unique<ts::process>(args);
  };
  // Three that must not get in, started first: plain, the wrong master key, a key not listed.
  auto plain = worker_with({});
  auto wrong_master =
      worker_with({"--master-key", dir + "/listed.pub", "--curve-key", dir + "/listed.key"});
  auto unlisted =
      worker_with({"--master-key", dir + "/master.pub", "--curve-key", dir + "/unlisted.key"});
  ASSERT_FALSE(master.wait_for_err_line("refused a worker").empty()) << master.err();
  auto listed =
      worker_with({"--master-key", dir + "/master.pub", "--curve-key", dir + "/listed.key"});

  ASSERT_EQ(master.wait(), 0) << master.err();
  EXPECT_EQ(listed->wait(), 0) << listed->err();
  const auto s = nlohmann::json::parse(ts::read_file(dir + "/s.json"));
  EXPECT_EQ(s["workers"].size(), 1u) << "only the listed worker took part: " << s["workers"].dump();
  EXPECT_GT(s["totals"]["requests"].get<std::uint64_t>(), 0u);
  EXPECT_EQ(s["totals"]["requests"].get<std::uint64_t>(), served());
  const std::string unlisted_key = ts::read_file(dir + "/unlisted.pub").substr(0, 40);
  EXPECT_NE(master.err().find("refused a worker from 127.0.0.1: its key " + unlisted_key),
            std::string::npos)
      << master.err();
  EXPECT_NE(master.out().find("CURVE-encrypted"), std::string::npos);
  for (auto* w : {plain.get(), wrong_master.get(), unlisted.get()}) {
    EXPECT_EQ(w->err().find("registered with the master"), std::string::npos) << w->err();
    w->signal(SIGINT);
    EXPECT_EQ(w->wait(30s), 0) << w->err();
  }
}

TEST(Keys, BadKeyFlagsAreOneLineErrors) {
  const auto file =
      ts::write_temp_file("s.yaml", "target: http://127.0.0.1:1/\nusers: [{tasks: [{get: /}]}]\n");
  const auto bad = ts::write_temp_file("bad.key", "public-key = nope\n");
  auto m = ts::run_process({binary, "master", file, "--curve-key", bad, "--no-web"});
  EXPECT_EQ(m.code, 2);
  EXPECT_NE(m.err.find(bad + ":1: public-key is not a 40-character Z85 key"), std::string::npos)
      << m.err;
  auto allow_only = ts::run_process({binary, "master", file, "--curve-allow", bad, "--no-web"});
  EXPECT_EQ(allow_only.code, 2);
  EXPECT_NE(allow_only.err.find("--curve-allow needs --curve-key"), std::string::npos)
      << allow_only.err;
  auto w = ts::run_process({binary, "worker", "--master", "127.0.0.1:1", "--master-key", "short"});
  EXPECT_EQ(w.code, 2);
  EXPECT_NE(w.err.find("short: cannot read this key file"), std::string::npos) << w.err;
  // Hunt: a data file a worker would not take ran the test with no worker, exit 0.
  const auto dir = file.substr(0, file.rfind('/'));
  const auto big = ts::write_temp_file(
      "big.yaml",
      "target: http://127.0.0.1:1/\nusers: [{data: {file: big.csv}, tasks: [{get: "
      "/}]}]\n");
  std::ofstream(big.substr(0, big.rfind('/')) + "/big.csv") << "id\n"
                                                            << std::string(17 << 20, '1') << "\n";
  auto too_big = ts::run_process({binary, "master", big, "--no-web", "--port", "0"});
  EXPECT_EQ(too_big.code, 2);
  EXPECT_NE(too_big.err.find("swarmlet master: big.csv is 17825796 bytes: a distributed test "
                             "ships each file to its workers, at most 16 MiB each"),
            std::string::npos)
      << too_big.err;
  // Hunt: an empty list admitted no worker, and the test never started.
  ASSERT_EQ(ts::run_process({binary, "keygen", dir + "/empty-list-master"}).code, 0);
  const auto none = ts::write_temp_file("none.pub", "# no worker yet\n");
  auto empty_list =
      ts::run_process({binary, "master", file, "--curve-key", dir + "/empty-list-master.key",
                       "--curve-allow", none, "--no-web", "--port", "0"});
  EXPECT_EQ(empty_list.code, 2);
  EXPECT_NE(empty_list.err.find(none + ": --curve-allow lists no public key"), std::string::npos)
      << empty_list.err;
  // Hunt: CLI11 takes an empty variable for an unset one, and these ran without CURVE, or let
  // every worker in. The flag with '' was refused; the variable is too.
  ::setenv("SWARMLET_MASTER_KEY", "", 1);
  auto plain = ts::run_process({binary, "worker", "--master", "127.0.0.1:1"});
  ::unsetenv("SWARMLET_MASTER_KEY");
  EXPECT_EQ(plain.code, 2);
  EXPECT_NE(plain.err.find("SWARMLET_MASTER_KEY (--master-key): is empty: give a value, or unset "
                           "it (see --help)"),
            std::string::npos)
      << plain.err;
  ::setenv("SWARMLET_CURVE_ALLOW", "", 1);
  auto open_door = ts::run_process({binary, "master", file, "--curve-key",
                                    dir + "/empty-list-master.key", "--no-web", "--port", "0"});
  ::unsetenv("SWARMLET_CURVE_ALLOW");
  EXPECT_EQ(open_door.code, 2);
  EXPECT_NE(open_door.err.find("SWARMLET_CURVE_ALLOW (--curve-allow): is empty"), std::string::npos)
      << open_door.err;
}

}  // namespace
