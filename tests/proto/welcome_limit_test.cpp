#include "proto/welcome_limit.hpp"

#include <gtest/gtest.h>

#include <string>

namespace p = swarmlet::proto;

namespace {

TEST(WelcomeLimit, AFileTooBigToShipIsNamedAndSoIsAWelcomeTooBigInAll) {
  // Hunt: a 17 MB data file ran under `swarmlet run`; a master's every worker refused its
  // welcome, and the test ran with none and exited 0.
  p::welcome_payload w;
  w.scenario_name = "s.yaml";
  w.scenario_yaml = "users: []";
  w.files["rows.csv"] = std::string(p::max_welcome_file_bytes, 'x');
  EXPECT_EQ(p::welcome_problem(w), std::nullopt) << "16 MiB: the most a worker takes";
  w.files["rows.csv"] += "x";
  EXPECT_EQ(p::welcome_problem(w),
            "rows.csv is 16777217 bytes: a distributed test ships each file to its workers, at "
            "most 16 MiB each (swarmlet run reads up to 256 MiB): split it, or run on one machine");
  w.files["rows.csv"].pop_back();
  for (const char* name : {"a.csv", "b.csv", "c.csv"})
    w.files[name] = std::string(p::max_welcome_file_bytes, 'y');
  EXPECT_EQ(p::welcome_problem(w),
            "the scenario and its files are 67108873 bytes: a distributed test ships them to its "
            "workers in one message, at most 60 MiB");
}

}  // namespace
