#pragma once
// A test with its own `swarmlet target` on a free loopback port: the target's URL, its own
// count of requests served (what every report is checked against), and scenario files aimed
// at it.
#include <gtest/gtest.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/http_calls.hpp"
#include "tests/support/process.hpp"

namespace swarmlet::testing_support {

class against_target : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string line = target_.wait_for_line("listening on");
    ASSERT_FALSE(line.empty()) << "the target did not start: " << target_.err();
    url_ = url_in(line);
  }
  /// Requests the target has served so far.
  std::uint64_t served() {
    auto r = run_process({"/usr/bin/curl", "-s", url_ + "/__swarmlet/served"});
    return nlohmann::json::parse(r.out)["served"].get<std::uint64_t>();
  }
  /// A scenario file: `target:` this target, then `body`.
  std::string scenario(const std::string& body) {
    return write_temp_file("scenario.yaml", "target: " + url_ + "\n" + body);
  }

  process target_{{SWARMLET_BINARY, "target", "--port", "0", "--threads", "2"}};
  std::string url_;
};

}  // namespace swarmlet::testing_support
