// What probes (Kubernetes' liveness and readiness) ask a master and a worker, and a worker whose
// master is not there yet: it says so once, keeps trying, and joins when the master comes.
#include <gtest/gtest.h>
#include <signal.h>

#include <string>
#include <thread>

#include "tests/support/http_calls.hpp"
#include "tests/support/process.hpp"

namespace ts = swarmlet::testing_support;
using namespace std::chrono_literals;

namespace {

const std::string binary = SWARMLET_BINARY;

/// The health URL a worker printed: "health answers on http://0.0.0.0:PORT/healthz ...".
std::string health_url(const std::string& line) {
  const auto at = line.find("http://0.0.0.0:");
  if (at == std::string::npos) return "";
  const auto port = line.substr(at + 15, line.find('/', at + 15) - at - 15);
  return "http://127.0.0.1:" + port;
}

TEST(Health, AWorkerWithoutItsMasterIsAliveNotReadyAndJoinsWhenTheMasterComes) {
  // The master takes port and port + 1 (stats); neither must be taken while it is not there.
  const std::string port = std::to_string(ts::free_loopback_port(2));
  // The master's address from the environment, as a container gets it.
  ts::process worker({binary, "worker", "--threads", "1", "--health-port", "0"},
                     {"SWARMLET_MASTER=127.0.0.1:" + port});
  const std::string url = health_url(worker.wait_for_err_line("health answers on"));
  ASSERT_FALSE(url.empty()) << worker.err();
  auto alive = ts::http_call("GET", url + "/healthz");
  EXPECT_EQ(alive.status, 200);
  EXPECT_NE(alive.body.find("ok: looking for the master at tcp://127.0.0.1:" + port),
            std::string::npos)
      << alive.body;
  EXPECT_EQ(ts::http_call("GET", url + "/readyz").status, 503);
  const std::string said = worker.wait_for_err_line("no answer from the master", 30s);
  EXPECT_NE(said.find("tcp://127.0.0.1:" + port), std::string::npos) << worker.err();
  EXPECT_NE(said.find("still trying"), std::string::npos) << said;
  EXPECT_EQ(said.find("still trying"), said.rfind("still trying")) << "said once: " << said;

  const auto file = ts::write_temp_file(
      "scenario.yaml", "target: http://127.0.0.1:9\nusers: [{tasks: [{get: /}]}]\n");
  ts::process master({binary, "master", file, "--port", port, "--web-ui", "--web-port", "0"});
  const std::string web = ts::url_in(master.wait_for_line("web UI"));
  ASSERT_FALSE(web.empty()) << master.out() << master.err();
  const auto master_health = ts::http_call("GET", web + "/healthz");
  EXPECT_EQ(master_health.status, 200);
  EXPECT_EQ(master_health.body, "ok\n");
  ASSERT_FALSE(worker.wait_for_err_line("registered with the master").empty()) << worker.err();
  const auto ready = ts::http_call("GET", url + "/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.body, "ok: registered with the master at tcp://127.0.0.1:" + port + "\n");
  master.signal(SIGINT);
  EXPECT_EQ(master.wait(), 0) << master.err();
  worker.signal(SIGINT);
  worker.wait();
}

}  // namespace
