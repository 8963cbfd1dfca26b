// /metrics scraped by a real Prometheus server (Debian's `prometheus`, on loopback, with a
// storage directory of its own), and linted by its `promtool check metrics`. Skipped, saying
// why, when Prometheus is not installed (scripts/install-deps.sh --test installs it).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>

#include "tests/support/http_calls.hpp"
#include "tests/support/process.hpp"

namespace ts = swarmlet::testing_support;
using namespace std::chrono_literals;

namespace {

const std::string binary = SWARMLET_BINARY;

nlohmann::json query(const std::string& prometheus, const std::string& promql) {
  const auto r = ts::run_process({"/usr/bin/curl", "-s", "-G", prometheus + "/api/v1/query",
                                  "--data-urlencode", "query=" + promql});
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (j.is_discarded() || j.value("status", "") != "success") return nlohmann::json::array();
  return j["data"]["result"];
}

TEST(Prometheus, ScrapesSwarmletsMetricsWithTheNamesItExpects) {
  if (::access("/usr/bin/prometheus", X_OK) != 0)
    GTEST_SKIP() << "no Prometheus scrape test: /usr/bin/prometheus is not installed (apt-get "
                    "install prometheus)";
  ts::process target({binary, "target", "--port", "0", "--threads", "1"});
  const std::string target_url = ts::url_in(target.wait_for_line("listening on"));
  ASSERT_FALSE(target_url.empty()) << target.err();
  const auto file = ts::write_temp_file(
      "scraped.yaml", "target: " + target_url +
                          "\nload: {users: 3, spawn_rate: 30, run_time: 90s}\n"
                          "users: [{wait: {constant: 10ms}, tasks: [{get: /items}]}]\n");
  const auto dir = file.substr(0, file.rfind('/'));
  ts::process run(
      {binary, "run", file, "-q", "--threads", "1", "--web-port", "0", "--json", dir + "/s.json"});
  const std::string web = ts::url_in(run.wait_for_line("/metrics on"));
  ASSERT_FALSE(web.empty()) << run.err();

  // promtool's lint: counters end in _total, base units, HELP and TYPE for every family.
  const auto lint =
      ts::run_process({"/bin/sh", "-c", "curl -s " + web + "/metrics | promtool check metrics"});
  EXPECT_EQ(lint.code, 0) << lint.out << lint.err;

  const int port = ts::free_loopback_port();  // Prometheus does not say which port :0 got
  const std::string config =
      ts::write_temp_file("prometheus.yml",
                          "global: {scrape_interval: 1s, scrape_timeout: 1s}\n"
                          "scrape_configs:\n"
                          "  - job_name: swarmlet\n"
                          "    static_configs: [{targets: ['" +
                              web.substr(7) + "']}]\n");
  const std::string storage = config.substr(0, config.rfind('/')) + "/tsdb";
  ts::process prometheus(
      {"/usr/bin/prometheus", "--config.file=" + config, "--storage.tsdb.path=" + storage,
       "--web.listen-address=127.0.0.1:" + std::to_string(port), "--log.level=warn"});
  const std::string api = "http://127.0.0.1:" + std::to_string(port);

  nlohmann::json requests;
  for (int i = 0; i < 600 && requests.empty(); ++i) {
    requests = query(api, "swarmlet_requests_total{job=\"swarmlet\"} > 0");
    if (requests.empty()) std::this_thread::sleep_for(100ms);
  }
  ASSERT_FALSE(requests.empty()) << "Prometheus never scraped a request count: "
                                 << prometheus.err();
  EXPECT_EQ(requests[0]["metric"]["method"], "GET");
  EXPECT_EQ(requests[0]["metric"]["name"], "/items");
  const double scraped = std::stod(requests[0]["value"][1].get<std::string>());

  EXPECT_EQ(query(api, "up{job=\"swarmlet\"}")[0]["value"][1], "1");
  EXPECT_EQ(query(api, "swarmlet_users")[0]["value"][1], "3");
  EXPECT_EQ(query(api, "swarmlet_running")[0]["value"][1], "1");
  EXPECT_EQ(query(api, "swarmlet_response_time_seconds{quantile=\"0.99\"}").size(), 1u);
  EXPECT_EQ(query(api, "swarmlet_response_time_seconds_count").size(), 1u);
  const auto targets =
      nlohmann::json::parse(ts::run_process({"/usr/bin/curl", "-s", api + "/api/v1/targets"}).out);
  EXPECT_EQ(targets["data"]["activeTargets"][0]["health"], "up") << targets.dump();
  EXPECT_EQ(targets["data"]["activeTargets"][0]["lastError"], "");

  ts::run_process({"/usr/bin/curl", "-s", "-X", "POST", web + "/api/stop"});
  EXPECT_EQ(run.wait(60s), 0) << run.err();
  const auto summary = nlohmann::json::parse(ts::read_file(dir + "/s.json"));
  EXPECT_LE(scraped, summary["totals"]["requests"].get<double>())
      << "a counter scraped mid-test is at most the final count";
}

}  // namespace
