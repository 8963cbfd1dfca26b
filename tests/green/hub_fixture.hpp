#pragma once
// The green suites run under every poll backend (eventlet's use_hub), like Boost.Fiber runs its
// suites under each launch policy.
#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "common/green/hub.hpp"

namespace swarmlet::green {
inline void PrintTo(backend_kind kind, std::ostream* os) {
  *os << to_string(kind);
}
}  // namespace swarmlet::green

namespace swarmlet::green::testing_support {

/// Why io_uring cannot run here, or "": asked of the kernel once per test program.
inline const std::string& io_uring_unavailable() {
  static const std::string reason = backend_unavailable_reason(backend_kind::io_uring);
  return reason;
}

/// A hub on the backend under test. Where the kernel refuses io_uring (a sandbox with
/// kernel.io_uring_disabled, a seccomp filter), its tests are skipped with the kernel's reason;
/// the hub they would not use runs on epoll meanwhile.
class hub_test : public ::testing::TestWithParam<backend_kind> {
 protected:
  void SetUp() override {
    if (GetParam() == backend_kind::io_uring && !io_uring_unavailable().empty())
      GTEST_SKIP() << io_uring_unavailable();
  }
  hub_options options() const {
    hub_options o;
    o.backend = GetParam();
    if (o.backend == backend_kind::io_uring && !io_uring_unavailable().empty())
      o.backend = backend_kind::epoll;
    return o;
  }
  hub h_{options()};
};

inline std::string backend_test_name(const ::testing::TestParamInfo<backend_kind>& info) {
  return to_string(info.param);
}

}  // namespace swarmlet::green::testing_support

#define SWARMLET_ALL_BACKENDS(suite)                                                     \
  INSTANTIATE_TEST_SUITE_P(Backends, suite,                                              \
                           ::testing::Values(::swarmlet::green::backend_kind::epoll,     \
                                             ::swarmlet::green::backend_kind::poll,      \
                                             ::swarmlet::green::backend_kind::select,    \
                                             ::swarmlet::green::backend_kind::io_uring), \
                           ::swarmlet::green::testing_support::backend_test_name)
