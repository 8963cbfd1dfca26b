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

class hub_test : public ::testing::TestWithParam<backend_kind> {
 protected:
  hub_options options() const {
    hub_options o;
    o.backend = GetParam();
    return o;
  }
  hub h_{options()};
};

inline std::string backend_test_name(const ::testing::TestParamInfo<backend_kind>& info) {
  return to_string(info.param);
}

}  // namespace swarmlet::green::testing_support

#define SWARMLET_ALL_BACKENDS(suite)                                                   \
  INSTANTIATE_TEST_SUITE_P(Backends, suite,                                            \
                           ::testing::Values(::swarmlet::green::backend_kind::epoll,   \
                                             ::swarmlet::green::backend_kind::poll,    \
                                             ::swarmlet::green::backend_kind::select), \
                           ::swarmlet::green::testing_support::backend_test_name)
