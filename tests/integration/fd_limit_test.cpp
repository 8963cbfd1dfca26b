// A generator out of file descriptors: a worker under `ulimit -n 256` asked for 1,000 keep-alive
// users. Nothing crashes; each connection it cannot open is a counted failure named "too many
// open files"; the master says so once; what the target served is counted exactly. And a master
// with fewer descriptors than its workers need: it keeps serving the workers it has, exactly.
#include <arpa/inet.h>
#include <dirent.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>

#include "target_fixture.hpp"
#include "tests/support/process.hpp"

namespace ts = swarmlet::testing_support;
using namespace std::chrono_literals;

namespace {

using FdLimit = ts::against_target;

TEST_F(FdLimit, AWorkerOutOfDescriptorsCountsEachFailedConnectionAndIsWarnedAbout) {
  const std::string file = scenario(
      "load: {users: 1000, spawn_rate: 1000, run_time: 3s}\n"
      "users: [{wait: {constant: 100ms}, tasks: [{get: /items}]}]\n");
  const std::string json = file + ".json";
  const auto r = ts::run_process({"/bin/bash", "-c",
                                  "ulimit -n 256 && exec " + std::string(SWARMLET_BINARY) +
                                      " run " + file + " --threads 1 --headless -q --json " + json},
                                 120s);
  EXPECT_EQ(r.code, 1) << "failed requests, no thresholds: --exit-code-on-error's 1\n"
                       << r.out << r.err;
  const auto s = nlohmann::json::parse(ts::read_file(json));
  const auto requests = s["totals"]["requests"].get<std::uint64_t>();
  const auto failures = s["totals"]["failures"].get<std::uint64_t>();
  EXPECT_GT(failures, 0u) << "256 descriptors cannot hold 1,000 connections";
  EXPECT_EQ(requests - failures, served()) << "every request the target served, counted once";
  std::uint64_t named = 0;
  for (const auto& e : s["errors"])
    if (e["error"].get<std::string>().starts_with("too many open files: "))
      named += e["occurrences"].get<std::uint64_t>();
  EXPECT_EQ(named, failures) << s["errors"].dump();
  bool warned = false;
  for (const auto& w : s["warnings"])
    warned =
        warned || w.get<std::string>().find("ran out of file descriptors") != std::string::npos;
  EXPECT_TRUE(warned) << s["warnings"].dump();
  EXPECT_NE((r.out + r.err).find("ran out of file descriptors"), std::string::npos)
      << "said on the console, even with -q";
}

TEST_F(FdLimit, AScriptsConnectOutOfDescriptorsIsWarnedOfAsTheWorkersLimit) {
  // sw.connect's failure is a script error ("<file>:<line>: <the socket's words>"), without the
  // kind a request's failure starts with: the master did not say the generator ran out. And the
  // users' sockets stayed open after the test (until Lua collected them), so that the report
  // file could not be written.
  const std::string port = url_.substr(url_.rfind(':') + 1);
  const std::string file = scenario(
      "load: {users: 1000, spawn_rate: 1000, run_time: 3s}\n"
      "users: [{name: raw, script: hold.lua, wait: {constant: 100ms}}]\n");
  const std::string dir = file.substr(0, file.rfind('/'));
  std::ofstream(dir + "/hold.lua") << "local sw = require \"swarmlet\"\n"
                                      "local hold = {}\n"
                                      "function hold.on_start(u)\n"
                                      "  u.conn = sw.connect(\"127.0.0.1\", "
                                   << port
                                   << ")\n"
                                      "end\n"
                                      "hold.tasks = {function(u) end}\n"
                                      "return hold\n";
  const std::string json = file + ".json";
  const auto r = ts::run_process({"/bin/bash", "-c",
                                  "ulimit -n 256 && exec " + std::string(SWARMLET_BINARY) +
                                      " run " + file + " --threads 1 --headless -q --json " + json},
                                 120s);
  EXPECT_EQ(r.code, 1) << "script errors, the reports written: " << r.err;
  // (The live rewrites of the report during the test may fail: a warning says so.)
  EXPECT_EQ(r.err.find("swarmlet: cannot write report file"), std::string::npos) << r.err;
  const auto s = nlohmann::json::parse(ts::read_file(json));
  std::uint64_t named = 0;
  for (const auto& e : s["errors"])
    if (e["error"].get<std::string>().find("no file descriptor left for a connection") !=
        std::string::npos)
      named += e["occurrences"].get<std::uint64_t>();
  EXPECT_GT(named, 0u) << "256 descriptors cannot hold 1,000 connections: " << s["errors"].dump()
                       << r.err;
  bool warned = false;
  for (const auto& w : s["warnings"])
    warned =
        warned || w.get<std::string>().find("ran out of file descriptors") != std::string::npos;
  EXPECT_TRUE(warned) << s["warnings"].dump();
}

std::size_t descriptors_of(pid_t pid) {
  std::size_t n = 0;
  if (DIR* dir = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str())) {
    while (const dirent* e = ::readdir(dir))
      if (e->d_name[0] != '.') ++n;
    ::closedir(dir);
  }
  return n;
}

/// Polls the master's descriptors until `done` holds of their count (false at the deadline).
template <class Done>
bool wait_for_descriptors(pid_t pid, Done done) {
  for (int i = 0; i < 1000; ++i) {
    if (done(descriptors_of(pid))) return true;
    std::this_thread::sleep_for(10ms);  // a poll of /proc, not a wait for time to pass
  }
  return false;
}

TEST_F(FdLimit, AMasterOutOfDescriptorsServesItsWorkersExactlyAndTellsTheOthersToRetry) {
  const std::string file = scenario(
      "load: {users: 10, spawn_rate: 100}\nusers: [{wait: {constant: 20ms}, tasks: "
      "[{get: /items}]}]\n");
  const std::string json = file + ".json";
  const std::string binary = SWARMLET_BINARY;
  ts::process master({binary, "master", file, "--port", "0", "--expect-workers", "2", "-q",
                      "--headless", "--json", json});
  const std::string line = master.wait_for_line("listening on");
  std::smatch port;
  ASSERT_TRUE(std::regex_search(line, port, std::regex(R"(tcp://127\.0\.0\.1:(\d+))"))) << line;
  const std::string control = "127.0.0.1:" + port[1].str();
  auto worker = [&](const std::string& id) {
    return std::make_unique<ts::process>(std::vector<std::string>{
        binary, "worker", "--master", control, "--id", id, "--threads", "1"});
  };
  auto w1 = worker("w1");
  auto w2 = worker("w2");
  ASSERT_FALSE(w1->wait_for_err_line("spawn:").empty()) << w1->err();
  ASSERT_FALSE(w2->wait_for_err_line("spawn:").empty()) << w2->err();

  // From now on the master has its descriptors and 8 more: what it keeps for its own files and
  // clients. A third worker would leave it fewer.
  const std::size_t serving = descriptors_of(master.pid());
  const rlimit lim{serving + 8, serving + 8};
  ASSERT_EQ(::prlimit(master.pid(), RLIMIT_NOFILE, &lim, nullptr), 0);
  auto w3 = worker("w3");
  EXPECT_FALSE(
      w3->wait_for_err_line("the master says: the master is out of file descriptors").empty())
      << w3->err() << master.err();
  EXPECT_FALSE(master.wait_for_err_line("WARNING: the master ran out of file descriptors").empty())
      << master.err();

  // Connections beyond the limit: libzmq's accept fails with EMFILE, which it must survive.
  std::vector<int> raw;
  for (int i = 0; i < 12; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(std::stoi(port[1].str())));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);  // the backlog takes it
    raw.push_back(fd);
  }
  EXPECT_TRUE(wait_for_descriptors(master.pid(), [&](std::size_t n) { return n >= lim.rlim_cur; }))
      << "the master did not reach its limit " << lim.rlim_cur << ": "
      << descriptors_of(master.pid());
  for (int fd : raw) ::close(fd);
  EXPECT_TRUE(wait_for_descriptors(master.pid(), [&](std::size_t n) { return n <= serving + 2; }))
      << descriptors_of(master.pid());

  master.signal(SIGINT);
  EXPECT_EQ(master.wait(60s), 0) << "no crash: " << master.err();
  const auto s = nlohmann::json::parse(ts::read_file(json));
  const auto counted = s["totals"]["requests"].get<std::uint64_t>();
  EXPECT_GT(counted, 0u);
  EXPECT_EQ(counted + s["lost"]["requests"].get<std::uint64_t>(), served())
      << "the workers it serves are counted exactly";
  ASSERT_EQ(s["workers"].size(), 2u) << s["workers"].dump();
  for (const auto& w : s["workers"]) EXPECT_TRUE(w["final_report"].get<bool>()) << s.dump(2);
  bool warned = false;
  for (const auto& w : s["warnings"])
    warned = warned ||
             w.get<std::string>().find("master ran out of file descriptors") != std::string::npos;
  EXPECT_TRUE(warned) << s["warnings"].dump();
  EXPECT_EQ(w3->err().find("spawn:"), std::string::npos) << "w3 never ran users: " << w3->err();
  EXPECT_EQ(master.err().find("worker missing"), std::string::npos)
      << "the workers it serves kept their beats: " << master.err();
}

}  // namespace
