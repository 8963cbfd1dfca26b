// The command line as Locust and k6 users type it: --version, -f, --headless, --loglevel,
// --exit-code-on-error, report paths checked before the test, numbers that are not numbers.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "target_fixture.hpp"
#include "tests/support/http_calls.hpp"
#include "tests/support/process.hpp"

namespace ts = swarmlet::testing_support;

namespace {

const std::string binary = SWARMLET_BINARY;
const std::string version_line = std::string("swarmlet ") + SWARMLET_VERSION + "\n";

class CommandLine : public ts::against_target {
 protected:
  /// Every request fails (HTTP 500), unless `thresholds` judge the run.
  std::string failing_scenario(const std::string& thresholds = "") {
    return scenario("load: {users: 2, spawn_rate: 100, run_time: 1s}\n" + thresholds +
                    "users: [{wait: {constant: 10ms}, tasks: [{get: /status/500}]}]\n");
  }
  /// A short run whose requests all pass.
  std::string passing_scenario() {
    return scenario(
        "load: {users: 1, spawn_rate: 100, run_time: 1s}\n"
        "users: [{wait: {constant: 10ms}, tasks: [{get: /items}]}]\n");
  }
};

TEST(Cli, VersionIsPrintedAtTheTopAndByEveryCommand) {
  for (const std::vector<std::string>& args : {std::vector<std::string>{"--version"},
                                               {"run", "--version"},
                                               {"master", "--version"},
                                               {"worker", "--version"},
                                               {"target", "--version"},
                                               {"keygen", "--version"}}) {
    std::vector<std::string> argv{binary};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto r = ts::run_process(argv);
    EXPECT_EQ(r.code, 0) << args[0] << ": " << r.err;
    EXPECT_EQ(r.out, version_line) << args[0];
  }
}

TEST_F(CommandLine, AllRequestsFailedWithoutThresholdsExitsOne) {
  const auto file = failing_scenario();
  const auto dir = file.substr(0, file.rfind('/'));
  const auto r = ts::run_process(
      {binary, "run", file, "--threads", "1", "-q", "--headless", "--json", dir + "/s.json"});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  const auto s = nlohmann::json::parse(ts::read_file(dir + "/s.json"));
  EXPECT_GT(s["totals"]["failures"].get<std::uint64_t>(), 0u);
  EXPECT_EQ(s["totals"]["failures"], s["totals"]["requests"]);
  // QA: under -q the exit code 1 came with no word at all; the threshold verdicts say theirs.
  const auto failures = s["totals"]["failures"].get<std::uint64_t>();
  EXPECT_NE(r.err.find("swarmlet: " + std::to_string(failures) +
                       " requests failed: exit code 1 (--exit-code-on-error chooses it"),
            std::string::npos)
      << r.err;
}

TEST_F(CommandLine, ExitCodeOnErrorChoosesTheCodeOfFailures) {
  const auto file = failing_scenario();
  EXPECT_EQ(ts::run_process({binary, "run", file, "--threads", "1", "-q", "--headless",
                             "--exit-code-on-error", "0"})
                .code,
            0);
  ts::process with_env({binary, "run", file, "--threads", "1", "-q", "--headless"},
                       {"SWARMLET_EXIT_CODE_ON_ERROR=5"});
  EXPECT_EQ(with_env.wait(), 5) << with_env.err();
  const auto bad = ts::run_process({binary, "run", file, "--exit-code-on-error", "lots"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_EQ(bad.err, "swarmlet: --exit-code-on-error: 'lots' is not a number (see --help)\n");
}

TEST_F(CommandLine, WithThresholdsTheyDecideEvenWhenRequestsFailed) {
  const auto file = failing_scenario("thresholds: [\"p95 < 10s\"]\n");
  const auto r = ts::run_process({binary, "run", file, "--threads", "1", "--headless"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("threshold passed: p95 < 10s"), std::string::npos) << r.out;
}

TEST_F(CommandLine, NoFailedRequestExitsZero) {
  const auto r = ts::run_process({binary, "run", passing_scenario(), "--threads", "1", "-q",
                                  "--headless", "--exit-code-on-error", "9"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
}

TEST_F(CommandLine, DashFIsThePositionalFileAndNotBoth) {
  const auto file = passing_scenario();
  const auto r = ts::run_process({binary, "run", "-f", file, "--threads", "1", "-q", "--headless"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_GT(served(), 0u);
  const auto both = ts::run_process({binary, "run", file, "-f", file, "--headless"});
  EXPECT_EQ(both.code, 2);
  EXPECT_EQ(both.err, "swarmlet: the scenario file is given twice, as FILE '" + file +
                          "' and as -f '" + file + "': give one of them\n");
  const auto none = ts::run_process({binary, "master", "--headless"});
  EXPECT_EQ(none.code, 2);
  EXPECT_EQ(none.err, "swarmlet: no scenario file: give it as FILE or with -f FILE\n");
}

TEST_F(CommandLine, HeadlessServesNoWebPort) {
  // --web-port 0 would serve on any free port; --headless (as --no-web) serves none.
  const auto r = ts::run_process(
      {binary, "run", passing_scenario(), "--threads", "1", "-q", "--web-port", "0", "--headless"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.find("web UI"), std::string::npos) << r.out;
  const auto with_web = ts::run_process(
      {binary, "run", passing_scenario(), "--threads", "1", "-q", "--web-port", "0"});
  EXPECT_EQ(with_web.code, 0) << with_web.err;
  EXPECT_NE(with_web.out.find("web UI, HTTP API and /metrics on http://"), std::string::npos)
      << "the same run without --headless serves it: " << with_web.out;
  ts::process no_web({binary, "run", passing_scenario(), "--threads", "1", "-q", "--web-port", "0"},
                     {"SWARMLET_HEADLESS=1"});
  EXPECT_EQ(no_web.wait(), 0) << no_web.err();
  EXPECT_EQ(no_web.out().find("web UI"), std::string::npos) << no_web.out();
  // Waiting for a test that nothing could start used to wait forever.
  const auto nothing = ts::run_process(
      {binary, "run", passing_scenario(), "--threads", "1", "--headless", "--web-ui"});
  EXPECT_EQ(nothing.code, 2);
  EXPECT_EQ(nothing.err,
            "swarmlet: --web-ui with --headless (--no-web) and no --backdoor-port: nothing could "
            "start a test\n");
}

TEST_F(CommandLine, AnUnwritableReportPathFailsBeforeAnyRequest) {
  const auto file = passing_scenario();
  const auto dir = file.substr(0, file.rfind('/'));
  // A path under a regular file can be written by nobody, root included.
  for (const auto& [flag, path] : std::vector<std::pair<std::string, std::string>>{
           {"--json", file + "/s.json"}, {"--html", dir}, {"--csv", file + "/results/run"}}) {
    const auto r =
        ts::run_process({binary, "run", file, "--threads", "1", "-q", "--headless", flag, path});
    EXPECT_EQ(r.code, 2) << flag << ": " << r.out << r.err;
    EXPECT_NE(r.err.find("swarmlet: cannot write the report " + path), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line: " << r.err;
  }
  // The scenario's own report section too, and the master checks before waiting for workers.
  const auto in_file =
      scenario("report: {json: " + file +
               "/s.json}\nload: {users: 1, run_time: 1s}\nusers: [{tasks: [{get: /}]}]\n");
  const auto m = ts::run_process(
      {binary, "master", in_file, "--port", "0", "--headless", "--expect-workers-timeout", "60s"});
  EXPECT_EQ(m.code, 2) << m.out << m.err;
  EXPECT_EQ(m.err, "swarmlet: cannot write the report " + file + "/s.json: " + file +
                       " is not a directory\n");
  EXPECT_EQ(m.out.find("waiting for"), std::string::npos) << m.out;
  EXPECT_EQ(served(), 0u) << "no request reached the target";
}

TEST_F(CommandLine, ANonNumberSaysSoInOneLine) {
  const auto file = passing_scenario();
  const auto users = ts::run_process({binary, "run", file, "-u", "ten"});
  EXPECT_EQ(users.code, 2);
  EXPECT_EQ(users.err, "swarmlet: --users: 'ten' is not a number (see --help)\n");
  const auto rate = ts::run_process({binary, "run", file, "-r", "fast"});
  EXPECT_EQ(rate.code, 2);
  EXPECT_EQ(rate.err, "swarmlet: --spawn-rate: 'fast' is not a number (see --help)\n");
  const auto workers = ts::run_process({binary, "master", file, "--expect-workers", "two"});
  EXPECT_EQ(workers.code, 2);
  EXPECT_EQ(workers.err, "swarmlet: --expect-workers: 'two' is not a number (see --help)\n");
  const auto threads = ts::run_process({binary, "worker", "--master", "x", "--threads", "1.5"});
  EXPECT_EQ(threads.code, 2);
  EXPECT_EQ(threads.err, "swarmlet: --threads: '1.5' is not a whole number (see --help)\n");
  const auto nan = ts::run_process({binary, "run", file, "-r", "nan"});
  EXPECT_EQ(nan.err, "swarmlet: --spawn-rate: 'nan' is not a number (see --help)\n");
  EXPECT_EQ(served(), 0u);
}

TEST_F(CommandLine, AnEmptyValueOrAnIdTooLongIsRefusedNotIgnored) {
  const auto file = passing_scenario();
  // --master-key '' ran the worker unencrypted, -t '' without a time limit, --json '' wrote no
  // report: each without a word.
  for (const auto& [args, flag] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"run", file, "-t", ""}, "--run-time"},
           {{"run", file, "--json", ""}, "--json"},
           {{"run", file, "-H", ""}, "--host"},
           {{"worker", "--master", "127.0.0.1:1", "--master-key", ""}, "--master-key"}}) {
    std::vector<std::string> argv{binary};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto r = ts::run_process(argv);
    EXPECT_EQ(r.code, 2) << flag;
    EXPECT_EQ(r.err, "swarmlet: " + flag +
                         ": is empty: give a value, or leave the flag out (see --help)\n");
  }
  const auto id =
      ts::run_process({binary, "worker", "--master", "127.0.0.1:1", "--id", std::string(300, 'w')});
  EXPECT_EQ(id.code, 2);
  EXPECT_EQ(id.err, "swarmlet: --id: is 300 bytes; at most 255 (see --help)\n")
      << "ZeroMQ's limit, once reported as 'cannot connect: Invalid argument'";
  const auto ports =
      ts::run_process({binary, "master", file, "--port", "15587", "--stats-port", "15587"});
  EXPECT_EQ(ports.code, 2);
  EXPECT_EQ(ports.err,
            "swarmlet master: --port and --stats-port are both 15587: the control and stats planes "
            "need a port each\n");
  const auto last = ts::run_process({binary, "master", file, "--port", "65535"});
  EXPECT_EQ(last.code, 2);
  EXPECT_EQ(last.err,
            "swarmlet master: --port 65535 leaves no next port for the stats plane: give "
            "--stats-port, or a lower --port\n")
      << "it said it could not listen on port 65536, which nobody gave";
  const auto web =
      ts::run_process({binary, "master", file, "--port", "15587", "--web-port", "15588"});
  EXPECT_EQ(web.code, 2);
  EXPECT_EQ(web.err,
            "swarmlet master: --web-port 15588 is the stats plane's (--stats-port, or --port + 1): "
            "the web UI and API need a port of their own\n")
      << "it said the address was in use, of a port no one else held";
  EXPECT_EQ(served(), 0u);
}

TEST_F(CommandLine, APortInUseIsTheOneNamed) {
  // A listener of this test holds a port; the master is given it as its stats port.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  const std::string port = std::to_string(ntohs(a.sin_port));
  const auto r = ts::run_process(
      {binary, "master", passing_scenario(), "--headless", "--port", "0", "--stats-port", port});
  ::close(fd);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "swarmlet master: cannot listen on 127.0.0.1:" + port +
                       " (the stats port): Address already in use\n")
      << "not the control port, which was free";
}

TEST_F(CommandLine, ABindToAHostNameSaysWhatBindTakes) {
  // Hunt: "localhost" failed with ZeroMQ's "No such device" alone.
  const auto r = ts::run_process(
      {binary, "master", passing_scenario(), "--headless", "--port", "0", "--bind", "localhost"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("swarmlet master: cannot listen on localhost:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(--bind takes an IP address such as 127.0.0.1 or 0.0.0.0, or an "
                       "interface's name, not a host name)\n"),
            std::string::npos)
      << r.err;
}

TEST_F(CommandLine, ABadLogLevelIsOneLine) {
  const auto r = ts::run_process({binary, "run", passing_scenario(), "--loglevel", "LOUD"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "swarmlet: --loglevel: 'LOUD' is not a log level (DEBUG, INFO, WARNING, ERROR or "
            "CRITICAL) (see --help)\n");
  const auto w = ts::run_process({binary, "worker", "--master", "x", "--loglevel", "verbose"});
  EXPECT_EQ(w.code, 2) << w.err;
}

TEST_F(CommandLine, LogLevelWarningHidesTheLinksEventLines) {
  const auto file = passing_scenario();
  ts::process master({binary, "master", file, "--expect-workers", "1", "--port", "0", "-q",
                      "--headless", "--loglevel", "warning"});
  std::smatch m;
  const auto line = master.wait_for_line("listening on");
  ASSERT_TRUE(std::regex_search(line, m, std::regex(R"(tcp://127\.0\.0\.1:(\d+))"))) << line;
  ts::process worker({binary, "worker", "--master", "127.0.0.1:" + m[1].str(), "--threads", "1",
                      "--loglevel", "INFO"});
  EXPECT_EQ(master.wait(), 0) << master.err();
  EXPECT_EQ(worker.wait(), 0) << worker.err();
  EXPECT_EQ(master.err().find("worker joined"), std::string::npos) << master.err();
  EXPECT_NE(worker.err().find("registered with the master"), std::string::npos) << worker.err();
  EXPECT_GT(served(), 0u);
}

/// The names of the requests a JSON summary reports.
std::vector<std::string> request_names(const std::string& json_file) {
  std::vector<std::string> out;
  const auto summary = nlohmann::json::parse(ts::read_file(json_file));
  for (const auto& r : summary["requests"]) out.push_back(r["name"].get<std::string>());
  return out;
}

TEST_F(CommandLine, TagsChooseTheTasksAndAnUnknownTagExitsTwo) {
  const auto file = scenario(
      "load: {users: 2, spawn_rate: 100, run_time: 1s}\n"
      "users:\n"
      "  - {name: shopper, wait: {constant: 10ms}, tasks: [{get: /items, tags: [browse]}, "
      "{get: /status/204, tags: [checkout]}]}\n"
      "  - {name: admin, tags: [admin], wait: {constant: 10ms}, tasks: [{get: /}]}\n");
  const auto dir = file.substr(0, file.rfind('/'));
  auto r = ts::run_process({binary, "run", file, "--threads", "1", "-q", "--headless", "--json",
                            dir + "/browse.json", "--tags", "browse"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(request_names(dir + "/browse.json"), std::vector<std::string>{"/items"});
  r = ts::run_process({binary, "run", file, "--threads", "1", "-q", "--headless", "--json",
                       dir + "/rest.json", "-E", "browse,admin"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(request_names(dir + "/rest.json"), std::vector<std::string>{"/status/204"})
      << "the admin user, left with no task, did not run";
  r = ts::run_process({binary, "run", file, "--headless", "--tags", "chekout"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "swarmlet: --tags: no task or user of " + file +
                       " has the tag 'chekout' (its tags: admin, browse, checkout)\n");
}

TEST_F(CommandLine, UsersStoppedByOnStartAreInTheFailuresOfEveryReport) {
  const auto file = scenario(
      "load: {users: 3, spawn_rate: 100, run_time: 1s}\n"
      "users: [{name: buyer, on_start: [{post: \"/${env.SWARMLET_TEST_LOGIN:-login}\", json: "
      "{user: ann, password: x}, check: {status: 201}}], tasks: [{get: /items}]}]\n");
  const auto dir = file.substr(0, file.rfind('/'));
  const auto r = ts::run_process({binary, "run", file, "--threads", "1", "--headless", "--json",
                                  dir + "/s.json", "--csv", dir + "/run"});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  const std::string stopped = "stopped by a failed request in on_start: POST /login";
  EXPECT_NE(r.out.find("3  POST /login: expected status 201, got 200"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("3  USER buyer: " + stopped), std::string::npos) << r.out;
  const auto s = nlohmann::json::parse(ts::read_file(dir + "/s.json"));
  bool found = false;
  for (const auto& e : s["errors"])
    if (e["method"] == "USER" && e["name"] == "buyer" && e["error"] == stopped) {
      found = true;
      EXPECT_EQ(e["occurrences"], 3);
    }
  EXPECT_TRUE(found) << s["errors"].dump();
  EXPECT_NE(ts::read_file(dir + "/run_failures.csv").find("USER,buyer," + stopped + ",3"),
            std::string::npos);
  EXPECT_EQ(request_names(dir + "/s.json"), std::vector<std::string>{"/login"})
      << "no user ran a task";
}

}  // namespace

namespace {

TEST(Cli, KeygenRefusesAnEmptyNameAndSaysWhyItCannotWrite) {
  // QA: `keygen ''` wrote the hidden files .key and .pub (a secret easily left behind) and
  // exited 0; `keygen newdir/master` said only "cannot write".
  const auto empty = ts::run_process({binary, "keygen", ""});
  const bool wrote = std::remove(".key") == 0;
  std::remove(".pub");
  EXPECT_FALSE(wrote) << "an empty NAME wrote .key";
  EXPECT_EQ(empty.code, 2) << empty.out;
  EXPECT_EQ(empty.err, "swarmlet: name: is empty: give a name, e.g. keys/master (see --help)\n");
  const auto file = ts::write_temp_file("k.txt", "");
  const auto base = file.substr(0, file.rfind('/')) + "/no-such-folder/master";
  const auto missing = ts::run_process({binary, "keygen", base});
  EXPECT_EQ(missing.code, 2);
  EXPECT_EQ(missing.err,
            "swarmlet keygen: " + base + ".key: cannot write: No such file or directory\n");
}

TEST(Cli, AnUnknownCommandIsNamed) {
  // QA: `swarmlet bogus` said "A subcommand is required", as if none had been given.
  const auto r = ts::run_process({binary, "bogus"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "swarmlet: 'bogus' is not a command (run, master, worker, target, keygen; see "
            "--help)\n");
}

TEST(Cli, AWorkerWithoutAMasterNamesTheVariableAndNoGoodbyeIsClaimed) {
  // QA: "--master is required" did not say SWARMLET_MASTER serves as well.
  const auto none = ts::run_process({binary, "worker"});
  EXPECT_EQ(none.code, 2);
  EXPECT_NE(none.err.find("--master (or SWARMLET_MASTER) is required"), std::string::npos)
      << none.err;
  // QA: a worker that never reached its master said "said goodbye to the master" on SIGTERM.
  const std::string port = std::to_string(ts::free_loopback_port(2));
  ts::process worker({binary, "worker", "--master", "127.0.0.1:" + port, "--threads", "1",
                      "--health-port", "0", "--health-host", "127.0.0.1"});
  ASSERT_FALSE(worker.wait_for_err_line("health answers on").empty()) << worker.err();
  worker.signal(SIGTERM);
  EXPECT_EQ(worker.wait(), 0) << worker.err();
  EXPECT_EQ(worker.err().find("said goodbye"), std::string::npos) << worker.err();
  EXPECT_NE(worker.err().find("leaving: no master answers at tcp://127.0.0.1:" + port),
            std::string::npos)
      << worker.err();
}

TEST(Cli, HelpShowsDefaultsTheVariablesAndOneTextForTags) {
  // QA: --help showed no default (master's port 5557, the web port 8089...), SWARMLET_* only for
  // some flags a deployment sets, and "TEXT ..." for -T/-E, which take one comma-separated value.
  const auto master = ts::run_process({binary, "master", "--help"}).out;
  for (const std::string want :
       {"=5557", "=60s (Env:SWARMLET_EXPECT_WORKERS_TIMEOUT)", "=127.0.0.1 (Env:SWARMLET_BIND)",
        "=1000 (Env:SWARMLET_HEARTBEAT_MS)", "(Env:SWARMLET_STATS_PORT)", "=8089",
        "-T,--tags TEXT (Env:SWARMLET_TAGS)", "-E,--exclude-tags TEXT (Env:SWARMLET_EXCLUDE_TAGS)"})
    EXPECT_NE(master.find(want), std::string::npos) << want << "\n" << master;
  EXPECT_EQ(master.find("TEXT ..."), std::string::npos) << master;
  const auto worker = ts::run_process({binary, "worker", "--help"}).out;
  for (const std::string want :
       {"=0.0.0.0 (Env:SWARMLET_HEALTH_HOST)", "=1000 (Env:SWARMLET_REPORT_INTERVAL_MS)",
        "(Env:SWARMLET_WORKER_ID)", "(Env:SWARMLET_STATS_PORT)"})
    EXPECT_NE(worker.find(want), std::string::npos) << want << "\n" << worker;
  const auto target = ts::run_process({binary, "target", "--help"}).out;
  for (const std::string want : {"=8080", "=127.0.0.1"})
    EXPECT_NE(target.find(want), std::string::npos) << want << "\n" << target;
}

}  // namespace

TEST_F(CommandLine, TheWorkersTimeoutComesFromItsVariableAndIsSaidWithAUnit) {
  // QA: SWARMLET_EXPECT_WORKERS_TIMEOUT was ignored without a word (the master waited 60 s), and
  // "--expect-workers-timeout 2" said "joined within 2;".
  ts::process master({binary, "master", passing_scenario(), "--headless", "--port", "0"},
                     {"SWARMLET_EXPECT_WORKERS_TIMEOUT=1"});
  EXPECT_EQ(master.wait(std::chrono::seconds(30)), 3) << master.err();
  EXPECT_NE(master.err().find("only 0 of 1 expected workers joined within 1s;"), std::string::npos)
      << master.err();
  // Hunt: a bad value named neither its variable nor --help, as other flags' errors do.
  ts::process bad({binary, "master", passing_scenario(), "--headless", "--port", "0"},
                  {"SWARMLET_EXPECT_WORKERS_TIMEOUT=5x"});
  EXPECT_EQ(bad.wait(std::chrono::seconds(30)), 2);
  EXPECT_EQ(bad.err(),
            "swarmlet: SWARMLET_EXPECT_WORKERS_TIMEOUT (--expect-workers-timeout): '5x' is not a "
            "duration (e.g. 30s, 5m, 1h30m) (see --help)\n");
}

TEST_F(CommandLine, HostStandsInForAMissingTargetAndWithoutEitherTheErrorSaysSo) {
  // QA: Locust's users give -H without target: in the file, and were refused.
  const auto file = ts::write_temp_file("no-target.yaml", "users: [{tasks: [{get: /}]}]\n");
  const auto before = served();
  const auto r = ts::run_process({binary, "run", file, "-H", url_, "-t", "1s", "-q"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_GT(served(), before) << "the requests went to --host";
  const auto refused = ts::run_process({binary, "run", file, "--headless", "-t", "1s"});
  EXPECT_EQ(refused.code, 2);
  EXPECT_NE(refused.err.find(file + ": the scenario needs a target, e.g. target: "
                                    "http://127.0.0.1:8080, or give --host (or SWARMLET_HOST)"),
            std::string::npos)
      << refused.err;
}
