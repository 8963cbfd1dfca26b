#include "worker/port_range_warning.hpp"

#include <gtest/gtest.h>

using swarmlet::green::port_range;
using swarmlet::worker::port_range_warning;

TEST(PortRangeWarning, NothingUpToHalfTheRange) {
  const port_range debian{32768, 60999};  // 28,232 ports
  EXPECT_FALSE(port_range_warning(0, debian));
  EXPECT_FALSE(port_range_warning(1000, debian));
  EXPECT_FALSE(port_range_warning(14116, debian));
}

TEST(PortRangeWarning, PastHalfTheRangeSaysWhatItCostsAndWhatToDo) {
  const auto w = port_range_warning(15000, port_range{32768, 60999});
  ASSERT_TRUE(w);
  EXPECT_EQ(w->rfind("15000 users, each with a connection of its own, take more than half of "
                     "the local port range (net.ipv4.ip_local_port_range 32768-60999, 28232 "
                     "ports): past 14116 connections",
                     0),
            0u)
      << *w;
  EXPECT_NE(w->find("past 28232 connects fail"), std::string::npos) << *w;
  EXPECT_NE(w->find("sysctl -w net.ipv4.ip_local_port_range=\"1024 65535\""), std::string::npos)
      << *w;
  EXPECT_TRUE(port_range_warning(2, port_range{40000, 40001}));
}
