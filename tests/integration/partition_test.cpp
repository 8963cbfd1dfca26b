// Network partitions between a worker and the master, as clusters have them: packets dropped
// silently (nftables rules in the worker's network namespace; no RST, no ICMP); and a worker
// that hangs (SIGSTOP, then SIGCONT). Whatever the fault cuts, the report must hold every
// request the target served: counted, or counted as lost (requests in reports that never
// arrived), never neither.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "tests/support/process.hpp"
#include "tests/support/virtual_network.hpp"

namespace ts = swarmlet::testing_support;
using namespace std::chrono_literals;

namespace {

const std::string binary = SWARMLET_BINARY;

/// What happens to worker w1: a partition of some direction, or the process hangs (SIGSTOP).
enum class cut { worker_to_master, master_to_worker, stats_plane_only, hung_worker };

std::string name_of(cut c) {
  switch (c) {
    case cut::worker_to_master:
      return "WorkerToMaster";
    case cut::master_to_worker:
      return "MasterToWorker";
    case cut::stats_plane_only:
      return "StatsPlaneOnly";
    case cut::hung_worker:
      return "HungWorker";
  }
  return "?";
}

/// Target, master and two workers, each on a host of its own.
class Partition : public ::testing::TestWithParam<cut> {
 protected:
  void SetUp() override {
    if (auto why = ts::virtual_network::unavailable()) GTEST_SKIP() << *why;
    net_ = std::make_unique<ts::virtual_network>(
        std::vector<std::string>{"target", "master", "w1", "w2"});
    target_ = std::make_unique<ts::process>(net_->in(
        "target", {binary, "target", "--host", net_->address("target"), "--port", "8080"}));
    ASSERT_FALSE(target_->wait_for_line("listening on").empty()) << target_->err();
    const std::string scenario = ts::write_temp_file(
        "partition.yaml", "target: http://" + net_->address("target") +
                              ":8080\nload: {users: 20, spawn_rate: 20}\n"
                              "users: [{wait: {constant: 20ms}, tasks: [{get: /items}]}]\n");
    json_ = ts::write_temp_file("summary.json", "");
    master_ = std::make_unique<ts::process>(
        net_->in("master", {binary, "master", scenario, "--bind", net_->address("master"),
                            "--expect-workers", "2", "-q", "--headless", "--json", json_}));
    ASSERT_FALSE(master_->wait_for_line("listening on").empty()) << master_->err();
    for (const char* id : {"w1", "w2"})
      workers_.push_back(std::make_unique<ts::process>(
          net_->in(id, {binary, "worker", "--master", net_->address("master") + ":5557", "--id", id,
                        "--threads", "1"})));
    for (auto& w : workers_) ASSERT_FALSE(w->wait_for_err_line("spawn:").empty()) << w->err();
  }

  std::uint64_t served() {
    const auto r = ts::run_process(net_->in(
        "target",
        {"/usr/bin/curl", "-s", "http://" + net_->address("target") + ":8080/__swarmlet/served"}));
    return nlohmann::json::parse(r.out)["served"].get<std::uint64_t>();
  }

  std::unique_ptr<ts::virtual_network> net_;
  std::unique_ptr<ts::process> target_, master_;
  std::vector<std::unique_ptr<ts::process>> workers_;
  std::string json_;
};

TEST_P(Partition, EveryServedRequestIsCountedOrCountedAsLost) {
  ts::process& w1 = *workers_[0];
  ts::process& w2 = *workers_[1];
  const cut c = GetParam();
  const auto cut_at = std::chrono::steady_clock::now();
  switch (c) {
    case cut::worker_to_master:
      net_->drop_outgoing("w1", "master");
      break;
    case cut::master_to_worker:
      net_->drop_incoming("w1", "master");
      break;
    case cut::stats_plane_only:
      net_->drop_outgoing("w1", "master", 5558);
      break;
    case cut::hung_worker:
      w1.signal(SIGSTOP);
      break;
  }
  // Three silent beats: the master marks w1 missing and moves its users to w2; w1 stops its
  // own users, hearing nothing from the master (a hung one once it runs again). With only its
  // stats plane cut, w1 is silent too: a worker that reports sends no heartbeats (its reports
  // stand in for them), so the master does not keep a worker whose numbers it cannot see.
  EXPECT_FALSE(master_->wait_for_err_line("worker missing: w1", 30s).empty()) << master_->err();
  if (c != cut::hung_worker) {
    EXPECT_FALSE(w1.wait_for_err_line("no word from the master", 30s).empty()) << w1.err();
  }
  EXPECT_FALSE(w2.wait_for_err_line("spawn: 20 users", 30s).empty()) << w2.err();
  // A partition lasts six seconds at least, a hang ten (the fault itself, not a wait for an
  // event).
  std::this_thread::sleep_until(cut_at + (c == cut::hung_worker ? 10s : 6s));
  if (c == cut::hung_worker)
    w1.signal(SIGCONT);
  else
    net_->heal("w1");
  // After the heal w1 comes back and takes its share again.
  EXPECT_FALSE(master_->wait_for_err_line("worker re-joined: w1", 30s).empty()) << master_->err();
  EXPECT_FALSE(w2.wait_for_err_line("spawn: 10 users", 30s).empty()) << w2.err();
  master_->signal(SIGINT);  // as Ctrl-C: stop, collect the final reports, write the report
  EXPECT_EQ(master_->wait(60s), 0) << master_->err();

  const auto report = nlohmann::json::parse(ts::read_file(json_));
  const std::uint64_t counted = report["totals"]["requests"].get<std::uint64_t>();
  const std::uint64_t lost = report["lost"]["requests"].get<std::uint64_t>();
  const std::uint64_t target_served = served();
  std::cout << "partition " << name_of(c) << ": the target served " << target_served
            << ", the report counts " << counted << " and " << lost << " lost\n";
  EXPECT_GT(counted, 0u);
  EXPECT_EQ(counted + lost, target_served) << "counted " << counted << ", lost " << lost << "\n"
                                           << master_->err() << w1.err();
  if (lost > 0) {
    bool said = false;
    for (const auto& w : report["warnings"])
      said = said || w.get<std::string>().find("were lost") != std::string::npos;
    EXPECT_TRUE(said) << report.dump(2);
  }
  for (const auto& w : report["workers"])
    EXPECT_TRUE(w["final_report"].get<bool>()) << report.dump(2);
  // The report names what happened to w1: missing with its 10 users moved, then back (a hello
  // that reached the master while it still counted w1 may add a re-registration).
  std::vector<nlohmann::json> w1_events;
  for (const auto& e : report["worker_events"])
    if (e["worker"] == "w1") w1_events.push_back(e);
  const auto first = [&](const std::string& event, std::size_t from) {
    for (std::size_t i = from; i < w1_events.size(); ++i)
      if (w1_events[i]["event"] == event) return i;
    return w1_events.size();
  };
  const std::size_t missing = first("missing", 0);
  ASSERT_LT(missing, w1_events.size()) << report["worker_events"].dump(2);
  EXPECT_EQ(w1_events[missing]["users_moved"], 10);
  EXPECT_LT(first("rejoined", missing + 1), w1_events.size()) << report["worker_events"].dump(2);
  EXPECT_EQ(first("lost", 0), w1_events.size()) << "it came back";
}

INSTANTIATE_TEST_SUITE_P(NetworkNamespaces, Partition,
                         ::testing::Values(cut::worker_to_master, cut::master_to_worker,
                                           cut::stats_plane_only, cut::hung_worker),
                         [](const auto& info) { return name_of(info.param); });

}  // namespace
