// `swarmlet run` as a user runs it: real processes on loopback against `swarmlet target`.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "common/green/hub.hpp"
#include "common/green/operations.hpp"
#include "common/green/socket.hpp"
#include "common/green/ssl.hpp"
#include "common/green/timeout.hpp"
#include "target_fixture.hpp"
#include "tests/green/test_certificate.hpp"
#include "tests/support/http_calls.hpp"
#include "tests/support/process.hpp"
#include "tests/support/silent_listener.hpp"

namespace ts = swarmlet::testing_support;

namespace {

const std::string binary = SWARMLET_BINARY;

class RunAgainstTarget : public ts::against_target {
 protected:
  static nlohmann::json summary(const std::string& path) {
    return nlohmann::json::parse(ts::read_file(path));
  }
  /// Runs `body` (8 unique rows in rows.csv) with a report due only after 60 s: the
  /// test must end when its last user does. It ended at the worker's next stats report, and its
  /// rates divided by that wait (QA: with reports every 3 s, 8 requests in 0.25 s made 2.6/s).
  void expect_an_end_without_waiting_for_a_report(const std::string& body) {
    const auto file = scenario(body);
    const auto dir = file.substr(0, file.rfind('/'));
    std::ofstream(dir + "/rows.csv") << "id\n1\n2\n3\n4\n5\n6\n7\n8\n";
    auto r = ts::run_process(
        {binary, "run", file, "-q", "--json", dir + "/s.json", "--report-interval-ms", "60000"},
        std::chrono::seconds(120));
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    const auto s = summary(dir + "/s.json");
    EXPECT_EQ(s["totals"]["requests"], 8) << s.dump();
    EXPECT_LT(s["duration_s"].get<double>(), 50.0)
        << "the test ended when its last user did, not at a report due after 60 s";
  }
};

/// A TLS server, on a hub thread of its own, that reads each request's first bytes and resets
/// the connection (SO_LINGER 0, no close_notify).
class tls_resetting_server {
 public:
  tls_resetting_server() {
    std::promise<std::uint16_t> port;
    auto ready = port.get_future();
    thread_ = std::thread([this, &port] {
      namespace g = swarmlet::green;
      g::hub hub;
      const auto cert = g::testing_support::make_test_certificate();
      const auto ctx = g::tls_context::server_from_pem(cert.cert_pem, cert.key_pem);
      g::socket listener = g::socket::listen("127.0.0.1", 0);
      port.set_value(listener.local_port());
      while (!stop_) {
        auto c = g::with_timeout(std::chrono::milliseconds(100), [&] { return listener.accept(); });
        if (!c) continue;  // a look at stop_
        const linger reset{1, 0};
        ::setsockopt(c->fd(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        g::spawn_n([&ctx, c = std::make_shared<g::socket>(std::move(*c))]() mutable {
          try {
            auto tls = g::wrap_ssl(std::move(*c), ctx, g::tls_role::server);
            char buf[4096];
            tls.read_some(std::span<char>(buf, sizeof buf));
          } catch (const std::exception&) {
            // the client went first
          }
        });
      }
    });
    port_ = ready.get();
  }
  ~tls_resetting_server() {
    stop_ = true;
    thread_.join();
  }
  std::uint16_t port() const noexcept { return port_; }

 private:
  std::atomic<bool> stop_{false};
  std::uint16_t port_ = 0;
  std::thread thread_;
};

TEST(RunAgainstAResettingTlsServer, TheRequestsFailAndTheProcessLives) {
  // Hunt: OpenSSL's alert or close_notify written to the reset connection raised SIGPIPE, which
  // killed `swarmlet run` (exit 141) with all its stats, and a worker the same way.
  tls_resetting_server server;
  const std::string file = ts::write_temp_file(
      "scenario.yaml", "target: https://127.0.0.1:" + std::to_string(server.port()) +
                           "\nhttp: {verify_tls: false}\nload: {users: 4, spawn_rate: 100, "
                           "run_time: 1s}\nusers: [{tasks: [{get: /}], wait: {constant: 10ms}}]\n");
  const auto dir = file.substr(0, file.rfind('/'));
  auto r = ts::run_process({binary, "run", file, "-q", "--json", dir + "/s.json"},
                           std::chrono::seconds(120));
  EXPECT_EQ(r.code, 1) << "failed requests, not a signal: " << r.out << r.err;
  const auto s = nlohmann::json::parse(ts::read_file(dir + "/s.json"));
  EXPECT_GT(s["totals"]["failures"].get<std::uint64_t>(), 0u) << s.dump();
  EXPECT_EQ(s["totals"]["failures"], s["totals"]["requests"]) << s["errors"].dump();
}

TEST_F(RunAgainstTarget, TheReportCountsExactlyWhatTheTargetServed) {
  const auto file = scenario(R"(load: {users: 20, spawn_rate: 100, run_time: 2s}
users:
  - name: fast
    tasks:
      - {weight: 3, get: /items}
      - {weight: 1, get: "/bytes/${random(1,4000)}", name: /bytes}
  - name: slow
    wait: {constant: 5ms}
    tasks: [{get: /delay/3}]
)");
  const auto dir = file.substr(0, file.rfind('/'));
  auto r = ts::run_process({binary, "run", file, "--threads", "2", "-q", "--json", dir + "/s.json",
                            "--csv", dir + "/r"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const auto s = summary(dir + "/s.json");
  const auto total = s["totals"]["requests"].get<std::uint64_t>();
  EXPECT_GT(total, 100u);
  EXPECT_EQ(total, served()) << "every request sent was recorded once";
  EXPECT_EQ(s["totals"]["failures"], 0);
  EXPECT_EQ(s["workers"][0]["lost_reports"], 0);
  EXPECT_TRUE(s["workers"][0]["final_report"].get<bool>());
  // The CSV holds the same totals in Locust's layout.
  std::istringstream csv(ts::read_file(dir + "/r_stats.csv"));
  std::string header, line, aggregated;
  std::getline(csv, header);
  EXPECT_EQ(header.rfind("Type,Name,Request Count,Failure Count,Median Response Time", 0), 0u)
      << header;
  std::uint64_t sum = 0;
  while (std::getline(csv, line)) {
    std::vector<std::string> f;
    std::istringstream fields(line);
    for (std::string x; std::getline(fields, x, ',');) f.push_back(x);
    ASSERT_GE(f.size(), 22u) << line;
    if (f[1] == "Aggregated") {
      EXPECT_EQ(std::stoull(f[2]), total);
    } else {
      sum += std::stoull(f[2]);
    }
  }
  EXPECT_EQ(sum, total);
  EXPECT_NE(ts::read_file(dir + "/r_stats_history.csv").find("Aggregated"), std::string::npos);
}

TEST_F(RunAgainstTarget, HtmlReportIsWrittenWithTheRunsTables) {
  const auto file = scenario(R"(load: {users: 3, spawn_rate: 100, run_time: 2s}
thresholds: ["fail_ratio < 0.9"]
users: [{wait: {constant: 5ms}, tasks: [{get: /items}, {get: /status/503}]}]
)");
  const auto dir = file.substr(0, file.rfind('/'));
  auto r = ts::run_process({binary, "run", file, "-q", "--no-web", "--html", dir + "/report.html"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto html = ts::read_file(dir + "/report.html");
  EXPECT_NE(html.find("<td class=l>/items</td>"), std::string::npos);
  EXPECT_NE(html.find("HTTP 503 Service Unavailable"), std::string::npos);
  EXPECT_NE(html.find("Every threshold held."), std::string::npos);
  EXPECT_NE(html.find("<polyline"), std::string::npos);
}

TEST_F(RunAgainstTarget, FailuresAreRecordedByCause) {
  const auto file = scenario(R"(load: {users: 4, spawn_rate: 100, run_time: 2s}
http: {timeout: 100ms}
users:
  - wait: {constant: 10ms}
    tasks:
      - {get: /status/500}
      - {get: /status/404, check: {status: 200}}
      - {get: /delay/1000}
      - {get: /items, check: {json: {"$.items[0].id": 1}}}
)");
  const auto dir = file.substr(0, file.rfind('/'));
  auto r =
      ts::run_process({binary, "run", file, "--threads", "1", "-q", "--json", dir + "/s.json"});
  ASSERT_EQ(r.code, 1) << "requests failed and no threshold was set (--exit-code-on-error): "
                       << r.err;
  const auto s = summary(dir + "/s.json");
  std::map<std::string, std::string> error_by_name;
  for (const auto& e : s["errors"]) error_by_name[e["name"]] = e["error"];
  EXPECT_EQ(error_by_name["/status/500"], "HTTP 500 Internal Server Error");
  EXPECT_EQ(error_by_name["/status/404"], "expected status 200, got 404");
  EXPECT_EQ(error_by_name["/delay/1000"].rfind("timeout:", 0), 0u) << error_by_name["/delay/1000"];
  EXPECT_EQ(error_by_name.count("/items"), 0u) << "the JSON check passes";
  for (const auto& req : s["requests"]) {
    if (req["name"] != "/items") {
      EXPECT_EQ(req["requests"], req["failures"]) << req["name"];
    }
  }
}

TEST(Run, AClosedPortIsAConnectionRefusedFailure) {
  const auto file = ts::write_temp_file("s.yaml", R"(target: http://127.0.0.1:9
load: {users: 2, spawn_rate: 100, run_time: 1s}
users: [{wait: {constant: 50ms}, tasks: [{get: /}]}]
)");
  const auto dir = file.substr(0, file.rfind('/'));
  auto r = ts::run_process({binary, "run", file, "-q", "--json", dir + "/s.json"});
  ASSERT_EQ(r.code, 1) << "requests failed and no threshold was set (--exit-code-on-error): "
                       << r.err;
  const auto s = nlohmann::json::parse(ts::read_file(dir + "/s.json"));
  ASSERT_EQ(s["errors"].size(), 1u) << s.dump();
  EXPECT_EQ(s["errors"][0]["error"].get<std::string>().rfind("connect_refused:", 0), 0u)
      << s["errors"].dump();
  EXPECT_GT(s["totals"]["failures"].get<int>(), 0);
}

TEST(Run, ANameThatDoesNotResolveIsAResolverError) {
  // nosuch.invalid never resolves (RFC 2606). Run in a network namespace of its own, with no
  // interface up, the lookup cannot leave the machine either: the resolver fails at once.
  const auto file = ts::write_temp_file("s.yaml", R"(target: http://nosuch.invalid:8080
load: {users: 1, spawn_rate: 100, run_time: 1s}
users: [{wait: {constant: 100ms}, tasks: [{get: /}]}]
)");
  const auto dir = file.substr(0, file.rfind('/'));
  auto r = ts::run_process(ts::in_own_network_namespace(
      {binary, "run", file, "-q", "--headless", "--json", dir + "/s.json"}));
  if (r.err.rfind("unshare:", 0) == 0) GTEST_SKIP() << "no network namespace here: " << r.err;
  ASSERT_EQ(r.code, 1) << "requests failed and no threshold was set: " << r.err;
  const auto s = nlohmann::json::parse(ts::read_file(dir + "/s.json"));
  ASSERT_EQ(s["errors"].size(), 1u) << s.dump();
  const std::string error = s["errors"][0]["error"];
  EXPECT_EQ(error.rfind("resolve: resolve nosuch.invalid: ", 0), 0u) << error;
  EXPECT_EQ(error.find("No route to host"), std::string::npos) << "no unrelated errno: " << error;
  EXPECT_EQ(s["totals"]["requests"], s["totals"]["failures"]);
}

TEST(Run, UsersPastTheLocalPortRangeAreWarnedOfAndTheirFailuresNameIt) {
  // A network namespace of its own with two local ports: of four users, each with a connection
  // of its own to the target, two connect and two find no port. The local worker warns when the
  // spawn command comes (with a report sent at once), a connect that finds no port says so instead
  // of "Cannot assign requested address", and the master warns that the worker ran out of local
  // ports (the generator's limit, not the target's).
  const auto file = ts::write_temp_file("s.yaml", R"(target: http://127.0.0.1:8080
load: {users: 4, spawn_rate: 100, run_time: 1s}
users: [{wait: {constant: 50ms}, tasks: [{get: /}]}]
)");
  const auto dir = file.substr(0, file.rfind('/'));
  const auto script =
      ts::write_temp_file("in_netns.sh", ts::script_with_ports_and_target("40000 40001", R"(
"$1" run "$2" -q --headless --threads 1 --json "$3"
code=$?)"));
  auto r = ts::run_process(
      ts::in_own_network_namespace({"/bin/bash", script, binary, file, dir + "/s.json"}));
  if (r.err.rfind("unshare:", 0) == 0 || r.code == 127)
    GTEST_SKIP() << "no network namespace here: " << r.err;
  if (r.code == 77) GTEST_SKIP() << r.out << r.err;
  ASSERT_EQ(r.code, 1) << "requests failed and no threshold was set: " << r.out << r.err;
  const std::string as_ramp_begins =
      "worker local: 4 users, each with a connection of its own, take more than ";
  EXPECT_NE(r.err.find("swarmlet: WARNING: " + as_ramp_begins), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(net.ipv4.ip_local_port_range 40000-40001, 2 ports)"), std::string::npos)
      << r.err;
  const std::string ran_out = "worker local ran out of local ports: its users' connections";
  EXPECT_NE(r.err.find("swarmlet: WARNING: " + ran_out), std::string::npos) << r.err;
  const auto s = nlohmann::json::parse(ts::read_file(dir + "/s.json"));
  std::string warnings = s["warnings"].dump();
  EXPECT_NE(warnings.find(as_ramp_begins), std::string::npos) << warnings;
  EXPECT_NE(warnings.find(ran_out), std::string::npos) << warnings;
  ASSERT_EQ(s["errors"].size(), 1u) << s.dump();
  const std::string error = s["errors"][0]["error"];
  EXPECT_EQ(error.rfind("no local port: connect to 127.0.0.1:8080: no local port of "
                        "net.ipv4.ip_local_port_range (40000-40001, 2 ports) is free for another "
                        "connection to that address",
                        0),
            0u)
      << error;
  EXPECT_GT(s["totals"]["requests"].get<int>(), s["totals"]["failures"].get<int>())
      << "the two users with a port were served: " << s["totals"].dump();
}

TEST(Run, AnIPv6AddressWhereIPv6IsOffIsNotTakenForPortsRunOut) {
  // connect() to an IPv6 address where IPv6 is switched off fails as a client out of ports does
  // (EADDRNOTAVAIL): the error says which it is, and no warning sends the user to the sysctl.
  const auto file = ts::write_temp_file("s.yaml", R"(target: http://[::1]:8080
load: {users: 1, spawn_rate: 100, run_time: 500ms}
users: [{wait: {constant: 50ms}, tasks: [{get: /}]}]
)");
  const auto dir = file.substr(0, file.rfind('/'));
  const auto script = ts::write_temp_file("in_netns.sh", R"(
echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6 &&
  echo 1 > /proc/sys/net/ipv6/conf/lo/disable_ipv6 ||
  { echo "SKIP: IPv6 cannot be switched off in the namespace"; exit 77; }
ip link set lo up || { echo "SKIP: ip link set lo up failed"; exit 77; }
exec "$1" run "$2" -q --headless --threads 1 --json "$3"
)");
  auto r = ts::run_process(
      ts::in_own_network_namespace({"/bin/bash", script, binary, file, dir + "/s.json"}));
  if (r.err.rfind("unshare:", 0) == 0 || r.code == 127)
    GTEST_SKIP() << "no network namespace here: " << r.err;
  if (r.code == 77) GTEST_SKIP() << r.out << r.err;
  ASSERT_EQ(r.code, 1) << "requests failed and no threshold was set: " << r.out << r.err;
  const auto s = nlohmann::json::parse(ts::read_file(dir + "/s.json"));
  ASSERT_EQ(s["errors"].size(), 1u) << s.dump();
  const std::string error = s["errors"][0]["error"];
  EXPECT_EQ(error.rfind("other: connect to ::1:8080 (no local address reaches it: is IPv6 switched "
                        "off on this machine?): ",
                        0),
            0u)
      << error;
  EXPECT_EQ(s["warnings"].dump().find("local port"), std::string::npos) << s["warnings"].dump();
}

TEST_F(RunAgainstTarget, ThresholdsDecideTheExitCodeAndAreSaidEvenWhenQuiet) {
  const auto failing = scenario(R"(load: {users: 2, spawn_rate: 100, run_time: 1s}
thresholds: ["requests > 100000000", "p95 < 10s"]
users: [{wait: {constant: 10ms}, tasks: [{get: /}]}]
)");
  auto r = ts::run_process({binary, "run", failing, "-q"});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("threshold FAILED: requests > 100000000 (observed "), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("threshold passed: p95 < 10s (observed "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("Aggregated"), std::string::npos) << "-q drops the tables: " << r.out;
}

TEST_F(RunAgainstTarget, ThresholdsOnOneNameJudgeOnlyItsRequests) {
  const auto file = scenario(R"(load: {users: 2, spawn_rate: 100, run_time: 1500ms}
thresholds:
  - {name: slow, check: p50 > 150ms}
  - {name: /items, method: GET, check: p50 < 100ms}
  - {name: /itmes, check: p95 < 10s}
users: [{wait: {constant: 5ms}, tasks: [{get: /items}, {get: /delay/200, name: slow}]}]
)");
  auto r = ts::run_process({binary, "run", file, "--threads", "1"});
  EXPECT_EQ(r.code, 1) << "the misspelt name fails: " << r.out << r.err;
  EXPECT_NE(r.out.find("threshold passed: slow: p50 > 150ms"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("threshold passed: GET /items: p50 < 100ms"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("threshold FAILED: /itmes: p95 < 10s (no request was judged)"),
            std::string::npos)
      << r.out;
}

TEST_F(RunAgainstTarget, AnAbortOnFailThresholdStopsTheRunEarlyAndTheReportsSayWhy) {
  const auto file = scenario(R"(load: {users: 2, spawn_rate: 100, run_time: 60s}
thresholds:
  - {check: fail_ratio < 0.01, abort_on_fail: true}
  - p(95) < 10s
users: [{wait: {constant: 10ms}, tasks: [{get: /status/500}]}]
)");
  const auto dir = file.substr(0, file.rfind('/'));
  auto r = ts::run_process({binary, "run", file, "--threads", "1", "--json", dir + "/abort.json",
                            "--html", dir + "/abort.html"});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find(": fail_ratio < 0.01 (observed 1); abort_on_fail: stopping the test"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("threshold FAILED: fail_ratio < 0.01 (observed 1 at "), std::string::npos)
      << r.out;
  const auto s = summary(dir + "/abort.json");
  ASSERT_TRUE(s["aborted"].is_object()) << s.dump();
  EXPECT_EQ(s["aborted"]["threshold"], "fail_ratio < 0.01");
  EXPECT_DOUBLE_EQ(s["aborted"]["observed"].get<double>(), 1.0);
  EXPECT_LT(s["aborted"]["at_s"].get<double>(), 60.0);
  EXPECT_LT(s["duration_s"].get<double>(), 60.0) << "stopped before its run time";
  EXPECT_EQ(s["passed"], false);
  EXPECT_GT(s["totals"]["failures"].get<int>(), 0);
  EXPECT_TRUE(s["workers"][0]["final_report"].get<bool>()) << "ended as at a normal end";
  ASSERT_EQ(s["thresholds"].size(), 2u);
  EXPECT_EQ(s["thresholds"][0]["aborted_test"], true);
  EXPECT_EQ(s["thresholds"][0]["passed"], false);
  EXPECT_EQ(s["thresholds"][1]["aborted_test"], false);
  EXPECT_NE(ts::read_file(dir + "/abort.html").find("id=\"aborted\""), std::string::npos);
}

TEST_F(RunAgainstTarget, ATimeWithoutAUnitInAThresholdIsRefusedBeforeTheRun) {
  const auto file = scenario(R"(load: {users: 1, spawn_rate: 100, run_time: 60s}
thresholds: ["p95 < 200"]
users: [{tasks: [{get: /}]}]
)");
  auto r = ts::run_process({binary, "run", file});
  EXPECT_NE(r.code, 0);
  EXPECT_NE((r.out + r.err)
                .find(file + ":3:14: threshold 'p95 < 200': '200' is a time without a "
                             "unit: write 200ms"),
            std::string::npos)
      << r.out << r.err;
  EXPECT_EQ(served(), 0u) << "nothing was sent";
}

TEST_F(RunAgainstTarget, StagesShapeTheUserCount) {
  const auto file = scenario(R"(load:
  stages:
    - {duration: 1500ms, users: 4, spawn_rate: 200}
    - {duration: 1500ms, users: 12, spawn_rate: 200}
    - {duration: 1s, users: 0, spawn_rate: 200}
users: [{wait: {constant: 10ms}, tasks: [{get: /}]}]
)");
  const auto dir = file.substr(0, file.rfind('/'));
  auto r = ts::run_process({binary, "run", file, "-q", "--threads", "2", "--json", dir + "/s.json",
                            "--csv", dir + "/r"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto s = summary(dir + "/s.json");
  EXPECT_EQ(s["peak_users"], 12);
  EXPECT_NEAR(s["duration_s"].get<double>(), 4.0, 1.0)
      << "the stages' durations add up to the run time";
  // The history's user counts climb to 4, then 12, then fall to 0.
  std::istringstream history(ts::read_file(dir + "/r_stats_history.csv"));
  std::string line;
  std::getline(history, line);
  std::set<int> seen;
  while (std::getline(history, line)) seen.insert(std::stoi(line.substr(line.find(',') + 1)));
  EXPECT_TRUE(seen.count(4)) << "user counts seen: " << seen.size();
  EXPECT_TRUE(seen.count(12));
  EXPECT_TRUE(seen.count(0));
  EXPECT_EQ(s["totals"]["requests"].get<std::uint64_t>(), served());
}

TEST_F(RunAgainstTarget, TheHttpApiServesStatsAndMetricsAndStopsTheTest) {
  const auto file = scenario(R"(load: {users: 4, spawn_rate: 100, run_time: 60s}
users: [{wait: {constant: 5ms}, tasks: [{get: /items}]}]
)");
  const auto dir = file.substr(0, file.rfind('/'));
  ts::process run({binary, "run", file, "-q", "--web-port", "0", "--json", dir + "/s.json"});
  const std::string line = run.wait_for_line("HTTP API");
  ASSERT_FALSE(line.empty()) << run.err();
  const std::string api = ts::url_in(line);
  nlohmann::json stats;
  for (int i = 0; i < 100; ++i) {
    stats = nlohmann::json::parse(ts::run_process({"/usr/bin/curl", "-s", api + "/api/stats"}).out);
    if (stats["total"]["requests"].get<int>() > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(stats["state"], "running");
  EXPECT_GT(stats["total"]["requests"].get<int>(), 0);
  const auto metrics = ts::run_process({"/usr/bin/curl", "-s", api + "/metrics"}).out;
  EXPECT_NE(metrics.find("swarmlet_requests_total{method=\"GET\",name=\"/items\"}"),
            std::string::npos)
      << metrics;
  const auto stop = ts::run_process({"/usr/bin/curl", "-s", "-X", "POST", api + "/api/stop"}).out;
  EXPECT_NE(stop.find("stopping"), std::string::npos);
  EXPECT_EQ(run.wait(std::chrono::seconds(30)), 0)
      << "the API's stop ends a 60 s test early: " << run.err();
  const auto s = summary(dir + "/s.json");
  EXPECT_LT(s["duration_s"].get<double>(), 30.0);
  EXPECT_EQ(s["totals"]["requests"].get<std::uint64_t>(), served());
}

TEST_F(RunAgainstTarget, TheWebPortWantsATokenOffLoopbackAndChecksIt) {
  const auto file = scenario(R"(load: {users: 1, spawn_rate: 100, run_time: 60s}
users: [{wait: {constant: 50ms}, tasks: [{get: /}]}]
)");
  // Checked before anything listens: nothing is bound to 0.0.0.0 here.
  const auto open = ts::run_process({binary, "run", file, "-q", "--web-host", "0.0.0.0"});
  EXPECT_EQ(open.code, 2);
  EXPECT_NE(open.err.find("set --web-token"), std::string::npos) << open.err;

  ts::process run({binary, "run", file, "-q", "--web-port", "0", "--web-token", "s3cret"});
  const std::string line = run.wait_for_line("/metrics on");
  ASSERT_FALSE(line.empty()) << run.err();
  const std::string api = ts::url_in(line);
  auto status = [&](std::vector<std::string> curl_args) {
    return ts::http_call("GET", api + "/api/stats", "", "", curl_args).status;
  };
  EXPECT_EQ(status({}), 401);
  EXPECT_EQ(status({"-H", "Authorization: Bearer wrong"}), 401);
  EXPECT_EQ(status({"-H", "Authorization: Bearer s3cret"}), 200);
  EXPECT_EQ(status({"-u", "anyone:s3cret"}), 200) << "basic auth, as a browser sends it";
  const auto stop =
      ts::http_call("POST", api + "/api/stop", "", "", {"-H", "Authorization: Bearer s3cret"});
  EXPECT_NE(stop.body.find("stopping"), std::string::npos) << stop.body;
  EXPECT_EQ(run.wait(std::chrono::seconds(30)), 0) << run.err();
}

TEST_F(RunAgainstTarget, WithWebUiTestsRunOneAfterAnotherEachCountedExactly) {
  const auto file = scenario(R"(load: {users: 2, spawn_rate: 100, run_time: 1s}
users: [{wait: {constant: 5ms}, tasks: [{get: /items}]}]
)");
  const auto dir = file.substr(0, file.rfind('/'));
  ts::process run({binary, "run", file, "-q", "--threads", "1", "--web-ui", "--web-port", "0",
                   "--json", dir + "/s.json"});
  const std::string line = run.wait_for_line("/metrics on");
  ASSERT_FALSE(line.empty()) << run.err();
  const std::string api = ts::url_in(line);
  auto wait_stopped = [&] {
    nlohmann::json stats;
    for (int i = 0; i < 300; ++i) {
      stats =
          nlohmann::json::parse(ts::run_process({"/usr/bin/curl", "-s", api + "/api/stats"}).out);
      if (stats["state"] == "stopped") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return stats;
  };
  ASSERT_FALSE(run.wait_for_line("waiting for a test to be started").empty()) << run.out();
  const auto idle = nlohmann::json::parse(ts::http_call("GET", api + "/api/stats").body);
  EXPECT_EQ(idle["state"], "ready") << "--web-ui starts nothing by itself";
  EXPECT_EQ(served(), 0u) << "--web-ui starts nothing by itself";

  EXPECT_NE(ts::http_call("POST", api + "/api/start", "{}").body.find("run_id"), std::string::npos);
  auto first = wait_stopped();
  EXPECT_EQ(first["stats"][0]["name"], "/items");
  const auto first_total = first["total"]["requests"].get<std::uint64_t>();
  EXPECT_GT(first_total, 0u);
  EXPECT_EQ(first_total, served());
  EXPECT_EQ(summary(dir + "/s.json")["totals"]["requests"].get<std::uint64_t>(), first_total)
      << "reports at the end";

  // Another scenario, posted: the local worker is built anew for it.
  const std::string other =
      "target: " + url_ +
      "\nload: {users: 3, spawn_rate: 100, run_time: 1s}\n"
      "users: [{wait: {constant: 5ms}, tasks: [{get: /cart, name: other}]}]\n";
  EXPECT_NE(
      ts::http_call("POST", api + "/api/start", other, "application/yaml").body.find("run_id"),
      std::string::npos);
  auto second = wait_stopped();
  ASSERT_EQ(second["stats"].size(), 1u) << second.dump();
  EXPECT_EQ(second["stats"][0]["name"], "other");
  EXPECT_EQ(second["total"]["requests"].get<std::uint64_t>(), served() - first_total);

  run.signal(SIGINT);
  // The last test decides: its requests all failed (/cart wants a token) and it had no
  // threshold, so --exit-code-on-error's default.
  EXPECT_EQ(run.wait(std::chrono::seconds(30)), 1) << run.err();
}

TEST_F(RunAgainstTarget, TheBackdoorConsoleAnswersAndCanStopTheTest) {
  const auto file = scenario(R"(load: {users: 3, spawn_rate: 100, run_time: 60s}
users: [{wait: {constant: 5ms}, tasks: [{get: /}]}]
)");
  ts::process run({binary, "run", file, "-q", "--no-web", "--backdoor-port", "0"});
  const std::string line = run.wait_for_line("backdoor console on");
  ASSERT_FALSE(line.empty()) << run.err();
  const std::string port = line.substr(line.rfind(':') + 1);
  // spawn checks its words as POST /api/swarm its fields (sandbox hunt: stoi read "0x10" as 0,
  // "inf" reached the workers, 2^31 - 1 users froze the master).
  const std::string said = ts::talk_to_backdoor(
      port, {"until 3 users|users", "spawn 3 inf", "spawn 0x10 1", "spawn 2147483647 1",
             "spawn 4 100", "threads", "stats", "stop", "quit"});
  EXPECT_NE(said.find("3 users"), std::string::npos) << said;
  EXPECT_NE(said.find("spawn_rate: expected 0.001 to 10000000 users per second, not \"inf\"\n"),
            std::string::npos)
      << said;
  EXPECT_NE(said.find("users: a whole number from 0 to 10000000, not \"0x10\"\n"),
            std::string::npos)
      << said;
  EXPECT_NE(said.find("users: a whole number from 0 to 10000000, not 2147483647\n"),
            std::string::npos)
      << said;
  EXPECT_NE(said.find("moving to 4 users\n"), std::string::npos) << said;
  EXPECT_NE(said.find("green threads"), std::string::npos) << said;
  EXPECT_NE(said.find("Aggregated"), std::string::npos) << said;
  EXPECT_NE(said.find("stopping"), std::string::npos) << said;
  EXPECT_EQ(run.wait(std::chrono::seconds(30)), 0) << run.err();
}

TEST(Run, ABadScenarioFailsWithItsErrorLine) {
  const auto file = ts::write_temp_file(
      "bad.yaml",
      "target: http://127.0.0.1:1/\nusers:\n  - tasks:\n      - get: /\n        wieght: 3\n");
  auto r = ts::run_process({binary, "run", file});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find(file + ":5:9: unknown key 'wieght'"), std::string::npos) << r.err;
  auto flags = ts::run_process({binary, "run", file, "-t", "soon"});
  EXPECT_EQ(flags.code, 2);
}

TEST_F(RunAgainstTarget, RatesDivideByTheTimeUntilTheLastRequestCountedEnded) {
  // Every user's one request ends 2 s after it began, after the 1 s test stopped: they count,
  // and so does the time they took. The rate was taken over the run time alone: 4 requests in
  // 1 s made 4/s where the target served 4 in 2 s.
  const auto file = scenario(R"(load: {users: 4, spawn_rate: 100, run_time: 1s}
users: [{tasks: [{get: /delay/2000}]}]
)");
  const auto dir = file.substr(0, file.rfind('/'));
  auto r = ts::run_process({binary, "run", file, "-q", "--json", dir + "/s.json"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const auto s = summary(dir + "/s.json");
  ASSERT_EQ(s["totals"]["requests"], 4) << s.dump();
  ASSERT_EQ(served(), 4u);
  const double duration = s["duration_s"].get<double>();
  EXPECT_GE(duration, 2.0) << "the requests ended 2 s after the test began at the earliest";
  EXPECT_DOUBLE_EQ(s["totals"]["rps"].get<double>(), 4 / duration);
}

TEST_F(RunAgainstTarget, ATestThatRanOutOfUniqueRowsEndsWithoutWaitingForTheNextReport) {
  // The users end well after the report that said they had all started.
  expect_an_end_without_waiting_for_a_report(R"(load: {users: 4, spawn_rate: 100, run_time: 600s}
users:
  - data: {file: rows.csv, order: unique}
    wait: {constant: 300ms}
    tasks: [{get: "/record/row?id=${id}"}]
)");
}

TEST_F(RunAgainstTarget, AnOpenModelTestThatRanOutOfUniqueRowsEndsWithoutWaitingForTheNextReport) {
  // Review: the open model's users are counted at reports only, and it still waited.
  expect_an_end_without_waiting_for_a_report(
      R"(load: {arrival_rate: {rate: 20/s, max_users: 2}, run_time: 600s}
users:
  - data: {file: rows.csv, order: unique}
    tasks: [{get: "/record/row?id=${id}"}]
)");
}

TEST_F(RunAgainstTarget, OpenModelUsersTakeAUniqueRowAtTheirFirstArrivalNotWhenMade) {
  // Hunt: each of the 20 users made for the pool took a row at once: 31 rows said used for the
  // 15 the iterations used, and idle users held rows the busy ones needed. YAML and scripted
  // users alike (a script without on_start).
  const auto file = scenario(R"(load: {arrival_rate: {rate: 5/s, max_users: 20}, run_time: 2s}
users:
  - name: yaml
    weight: 1
    data: {file: rows.csv, order: unique}
    tasks: [{get: "/record/row?id=${id}"}]
  - name: scripted
    weight: 1
    script: rows.lua
    data: {file: more.csv, order: unique}
)");
  const auto dir = file.substr(0, file.rfind('/'));
  std::string rows = "id\n";
  for (int i = 1; i <= 200; ++i) rows += std::to_string(i) + "\n";
  std::ofstream(dir + "/rows.csv") << rows;
  std::ofstream(dir + "/more.csv") << rows;
  std::ofstream(dir + "/rows.lua")
      << "return {tasks = {function(u) u.http:get('/record/s?id=' .. u.vars.id) end}}\n";
  auto r = ts::run_process({binary, "run", file, "-q", "--json", dir + "/s.json"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const auto s = summary(dir + "/s.json");
  ASSERT_EQ(s["unique_data"].size(), 2u) << s.dump();
  std::uint64_t used = 0;
  for (const auto& d : s["unique_data"]) used += d["rows_used"].get<std::uint64_t>();
  EXPECT_EQ(used, s["totals"]["requests"].get<std::uint64_t>()) << s.dump();
  EXPECT_LE(used, 12u) << "10 arrivals in 2 s, and none of the 20 users' rows is taken idle";
}

TEST_F(RunAgainstTarget, AnOpenModelTestThatRanOutOfRowsDropsWhatFoundNoRowAndEnds) {
  // Hunt: an arrival handed to an idle user that then found no row was neither run nor said
  // dropped (10 rows at 10/s: 10 run, 0 dropped of 15 due); and with rows taken at the first
  // arrival, the idle users must still stop once the rows ran out, or the test idles on.
  const auto file = scenario(R"(load: {arrival_rate: {rate: 10/s, max_users: 20}, run_time: 600s}
users:
  - data: {file: rows.csv, order: unique}
    tasks: [{get: "/record/row?id=${id}"}]
)");
  const auto dir = file.substr(0, file.rfind('/'));
  std::ofstream(dir + "/rows.csv") << "id\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n";
  auto r = ts::run_process({binary, "run", file, "-q", "--json", dir + "/s.json"},
                           std::chrono::seconds(120));
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const auto s = summary(dir + "/s.json");
  EXPECT_EQ(s["totals"]["requests"], 10) << s.dump();
  EXPECT_GE(s["totals"]["dropped_iterations"].get<std::uint64_t>(), 1u)
      << "the 11th arrival found no row: dropped";
  EXPECT_LT(s["duration_s"].get<double>(), 60.0) << "it ended with its rows, not at 600 s";

  // Review: users with an on_start take their row before it; stopped idle with it once another
  // user found none, their rows were said used and never ran (138 tasks of 200 rows).
  const auto with_start =
      scenario(R"(load: {arrival_rate: {rate: 20/s, max_users: 40}, run_time: 600s}
users:
  - data: {file: rows.csv, order: unique}
    on_start: [{get: /, name: start}]
    tasks: [{get: "/record/row?id=${id}", name: task}]
)");
  const auto start_dir = with_start.substr(0, with_start.rfind('/'));
  std::string rows = "id\n";
  for (int i = 1; i <= 30; ++i) rows += std::to_string(i) + "\n";
  std::ofstream(start_dir + "/rows.csv") << rows;
  auto started = ts::run_process(
      {binary, "run", with_start, "-q", "--threads", "1", "--json", start_dir + "/s.json"},
      std::chrono::seconds(120));
  ASSERT_EQ(started.code, 0) << started.out << started.err;
  const auto t = summary(start_dir + "/s.json");
  std::uint64_t tasks = 0;
  for (const auto& row : t["requests"])
    if (row["name"] == "task") tasks = row["requests"].get<std::uint64_t>();
  EXPECT_EQ(tasks, 30u) << t.dump();
  EXPECT_EQ(t["unique_data"][0]["rows_used"], 30);
}

TEST_F(RunAgainstTarget, CtrlCStopsCleanlyAndStillReports) {
  const auto file = scenario(R"(load: {users: 10, spawn_rate: 100}
users: [{wait: {constant: 1ms}, tasks: [{get: /}]}]
)");
  const auto dir = file.substr(0, file.rfind('/'));
  ts::process run({binary, "run", file, "--json", dir + "/s.json", "--csv", dir + "/r"});
  ASSERT_FALSE(run.wait_for_line("Aggregated").empty()) << run.err();
  run.signal(SIGINT);
  EXPECT_EQ(run.wait(), 0) << run.err();
  const auto s = summary(dir + "/s.json");
  EXPECT_GT(s["totals"]["requests"].get<std::uint64_t>(), 0u);
  EXPECT_EQ(s["totals"]["requests"].get<std::uint64_t>(), served());
}

TEST(Run, ASecondCtrlCStopsWithoutWaitingForRequestsInFlightAndStillReports) {
  // A second Ctrl-C was not seen: a test stopping on a target that hung waited for its users'
  // requests up to twice the request timeout (here two hours), then gave them that timeout
  // again before the process could end.
  ts::silent_listener silent;
  const auto file = silent.scenario("{users: 2, spawn_rate: 100}", "[{get: /}, {get: /other}]");
  const auto dir = file.substr(0, file.rfind('/'));
  ts::process run(
      {binary, "run", file, "--threads", "1", "-q", "--web-port", "0", "--json", dir + "/s.json"});
  ASSERT_TRUE(silent.accept_one() && silent.accept_one()) << "no users came: " << run.err();
  run.signal(SIGINT);
  ASSERT_FALSE(run.wait_for_err_line("interrupt again").empty()) << run.err();
  run.signal(SIGINT);
  ASSERT_EQ(run.wait(std::chrono::seconds(30)), 0)
      << "not gone within the wait's deadline: " << run.err();
  const auto s = nlohmann::json::parse(ts::read_file(dir + "/s.json"));
  EXPECT_TRUE(s["workers"][0]["final_report"].get<bool>()) << "the local worker's last numbers";
  EXPECT_EQ(s["totals"]["requests"], 0) << "no request ended: " << s.dump();
}

}  // namespace
