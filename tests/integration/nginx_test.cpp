// Against a real server that is not ours: Debian's nginx, counting with its own stub_status.
// YAML users in one process, and scripted users on a master with three workers; every report
// must equal what nginx says it handled.
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/http_calls.hpp"
#include "tests/support/nginx_server.hpp"
#include "tests/support/process.hpp"

namespace ts = swarmlet::testing_support;

namespace {

const std::string binary = SWARMLET_BINARY;

class AgainstNginx : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!ts::nginx_server::available()) GTEST_SKIP() << "Debian's nginx is not installed";
    nginx_ = std::make_unique<ts::nginx_server>();
  }
  /// Writes the scenario (target: nginx, then `body`) and `files` next to it; returns its path.
  std::string write(const std::string& body,
                    const std::vector<std::pair<std::string, std::string>>& files = {}) {
    const auto file =
        ts::write_temp_file("scenario.yaml", "target: " + nginx_->url() + "\n" + body);
    dir_ = file.substr(0, file.rfind('/'));
    for (const auto& [name, text] : files) std::ofstream(dir_ + "/" + name) << text;
    return file;
  }
  nlohmann::json summary() { return nlohmann::json::parse(ts::read_file(dir_ + "/s.json")); }
  std::unique_ptr<ts::nginx_server> nginx_;
  std::string dir_;
};

TEST_F(AgainstNginx, YamlUsersAreCountedExactlyByNginx) {
  const auto file = write(R"(load: {users: 20, spawn_rate: 200, run_time: 2s}
users:
  - tasks: [{get: /}, {get: "/items/${user_id}", name: /items}, {post: /form, body: "a=1"}]
    wait: {between: [1ms, 3ms]}
)");
  const auto r =
      ts::run_process({binary, "run", file, "--threads", "2", "-q", "--json", dir_ + "/s.json"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const auto s = summary();
  const auto total = s["totals"]["requests"].get<std::uint64_t>();
  EXPECT_GT(total, 100u);
  EXPECT_EQ(total, nginx_->served()) << "every request nginx handled was counted once";
  EXPECT_EQ(s["totals"]["failures"], 0);
}

TEST_F(AgainstNginx, ScriptedUsersOnThreeWorkersAreCountedExactlyByNginx) {
  const auto file = write(R"(load: {users: 9, spawn_rate: 100, run_time: 3s}
users:
  - {name: scripted, script: browse.lua, wait: {between: [1ms, 3ms]}}
)",
                          {{"browse.lua", R"(local sw = require "swarmlet"
return {tasks = {
  function(u) u.http:get("/") end,
  function(u)
    local pool = sw.pool(2)
    for i = 1, 4 do pool:spawn(function() u.http:get("/page/" .. i, {name = "/page"}) end) end
    pool:waitall()
  end,
}}
)"}});
  ts::process master({binary, "master", file, "--expect-workers", "3", "--port", "0", "-q",
                      "--json", dir_ + "/s.json"});
  const std::string line = master.wait_for_line("listening on");
  const auto [control, stats] = ts::master_ports_in(line);
  ASSERT_FALSE(control.empty()) << line << master.err();
  std::vector<std::unique_ptr<ts::process>> workers;
  for (int i = 0; i < 3; ++i) {
    workers.push_back(std::make_unique<ts::process>(std::vector<std::string>{
        binary, "worker", "--master", "127.0.0.1:" + control, "--stats-port", stats, "--threads",
        "1", "--report-interval-ms", "200"}));
  }
  ASSERT_EQ(master.wait(), 0) << master.err();
  for (auto& w : workers) EXPECT_EQ(w->wait(), 0) << w->err();
  const auto s = summary();
  const auto total = s["totals"]["requests"].get<std::uint64_t>();
  EXPECT_GT(total, 50u);
  EXPECT_EQ(total, nginx_->served()) << "every request of the scripts was counted once";
  EXPECT_EQ(s["totals"]["failures"], 0);
  EXPECT_EQ(s["workers"].size(), 3u);
}

}  // namespace
