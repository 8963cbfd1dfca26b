#pragma once
// The exit code of a test, as Locust decides it: thresholds when there are any, else whether
// any request failed (--exit-code-on-error).
#include <cstdint>

namespace swarmlet::app {

/// Exit codes the command line uses besides a test's own (0, 1 or --exit-code-on-error).
inline constexpr int exit_bad_usage = 2;        ///< a bad scenario, flag or report path
inline constexpr int exit_missing_workers = 3;  ///< `master`: the expected workers did not join
inline constexpr int exit_setup_failed = 4;     ///< main.lua's setup() failed: no user started

/// The exit code of a test that ended: with thresholds, `threshold_code` (the runner's: 0 when
/// every threshold held, 1 otherwise); without, `on_error` when any request failed, else 0.
int test_exit_code(bool has_thresholds, int threshold_code, std::uint64_t failures, int on_error);

}  // namespace swarmlet::app
