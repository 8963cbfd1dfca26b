// Every test runs under a hard deadline: a stuck green thread fails its test fast (SIGALRM ends
// the binary and ctest reports which test was running) instead of hanging CI.
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>

namespace {

constexpr unsigned test_deadline_seconds = 120;

class deadline_listener : public testing::EmptyTestEventListener {
  void OnTestStart(const testing::TestInfo& info) override {
    std::snprintf(current_, sizeof current_, "%s.%s", info.test_suite_name(), info.name());
    ::alarm(test_deadline_seconds);
  }
  void OnTestEnd(const testing::TestInfo&) override { ::alarm(0); }

 public:
  static char current_[512];
};
char deadline_listener::current_[512] = "";

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  // As swarmlet's main: a TLS write to a peer that reset the connection fails with EPIPE rather
  // than ending the test binary.
  ::signal(SIGPIPE, SIG_IGN);
  testing::UnitTest::GetInstance()->listeners().Append(new deadline_listener);
  return RUN_ALL_TESTS();
}
