#include "app/exit_code.hpp"

#include <gtest/gtest.h>

namespace a = swarmlet::app;

namespace {

TEST(TestExitCode, AnyFailedRequestWithoutThresholdsExitsWithTheCodeOnError) {
  EXPECT_EQ(a::test_exit_code(false, 0, 1, 1), 1);
  EXPECT_EQ(a::test_exit_code(false, 0, 1000, 7), 7);
  EXPECT_EQ(a::test_exit_code(false, 0, 1, 0), 0) << "--exit-code-on-error 0 ignores failures";
}

TEST(TestExitCode, NoFailedRequestWithoutThresholdsExitsZero) {
  EXPECT_EQ(a::test_exit_code(false, 0, 0, 1), 0);
  EXPECT_EQ(a::test_exit_code(false, 0, 0, 9), 0);
}

TEST(TestExitCode, WithThresholdsTheyDecideWhateverFailed) {
  EXPECT_EQ(a::test_exit_code(true, 0, 500, 1), 0) << "thresholds held despite failures";
  EXPECT_EQ(a::test_exit_code(true, 1, 0, 7), 1) << "a broken threshold is 1, not the code";
  EXPECT_EQ(a::test_exit_code(true, 1, 500, 0), 1);
}

TEST(TestExitCode, UsageAndMissingWorkersKeepTheirCodes) {
  EXPECT_EQ(a::exit_bad_usage, 2);
  EXPECT_EQ(a::exit_missing_workers, 3);
}

}  // namespace
