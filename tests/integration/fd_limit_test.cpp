// A generator out of file descriptors: a worker under `ulimit -n 256` asked for 1,000 keep-alive
// users. Nothing crashes; each connection it cannot open is a counted failure named "too many
// open files"; the master says so once; what the target served is counted exactly.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

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

}  // namespace
