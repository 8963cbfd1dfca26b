#include "exit_code.hpp"

namespace swarmlet::app {

int test_exit_code(bool has_thresholds, int threshold_code, std::uint64_t failures, int on_error) {
  if (has_thresholds) return threshold_code;
  return failures > 0 ? on_error : 0;
}

}  // namespace swarmlet::app
