#include "worker/port_range_warning.hpp"

#include <gtest/gtest.h>

using swarmlet::green::port_range;
using swarmlet::worker::port_range_warning;

namespace {
const port_range debian{32768, 60999};  // 28,232 ports
}

TEST(PortRangeWarning, WhereConnectsScanPastHalfTheRangeNothingUpToHalf) {
  EXPECT_FALSE(port_range_warning(0, debian, true));
  EXPECT_FALSE(port_range_warning(14116, debian, true));
  EXPECT_TRUE(port_range_warning(14117, debian, true));
}

TEST(PortRangeWarning, PastHalfTheRangeSaysWhatItCostsAndWhatToDo) {
  const auto w = port_range_warning(15000, debian, true);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->rfind("15000 users, each with a connection of its own, take more than half of "
                     "the local port range (net.ipv4.ip_local_port_range 32768-60999, 28232 "
                     "ports): past 14116 connections to one address this kernel",
                     0),
            0u)
      << *w;
  EXPECT_NE(w->find("scans the half it tries first on every connect"), std::string::npos) << *w;
  EXPECT_NE(w->find("connects fail past 28232 connections;"), std::string::npos) << *w;
  EXPECT_NE(w->find("sysctl -w net.ipv4.ip_local_port_range=\"1024 65535\""), std::string::npos)
      << *w;
}

TEST(PortRangeWarning, WhereConnectsPickFromTheWholeRangeOnlyUsersPastItAreWarnedOf) {
  EXPECT_FALSE(port_range_warning(15000, debian, false)) << "no scan past half: nothing to say";
  EXPECT_FALSE(port_range_warning(28232, debian, false));
  const auto w = port_range_warning(28233, debian, false);
  ASSERT_TRUE(w);
  EXPECT_EQ(*w,
            "28233 users, each with a connection of its own, take more than the local port range "
            "(net.ipv4.ip_local_port_range 32768-60999, 28232 ports): past 28232 connections to "
            "one address, connects fail; widen the range (sysctl -w "
            "net.ipv4.ip_local_port_range=\"1024 65535\") or spread the users over more machines");
}

TEST(PortRangeWarning, ARangeAsWideAsItGoesIsNotToldToWiden) {
  const auto w = port_range_warning(70000, port_range{1024, 65535}, false);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->find("sysctl"), std::string::npos) << *w;
  EXPECT_NE(w->find("spread the users over more machines"), std::string::npos) << *w;
}

TEST(PortRangeWarning, OneOfAThingIsSaidInTheSingular) {
  const auto w = port_range_warning(2, port_range{40000, 40001}, true);
  ASSERT_TRUE(w);
  EXPECT_NE(w->find("past 1 connection to one address"), std::string::npos) << *w;
  EXPECT_NE(w->find("2 ports)"), std::string::npos) << *w;
  const auto one = port_range_warning(2, port_range{40000, 40000}, false);
  ASSERT_TRUE(one);
  EXPECT_NE(one->find("40000-40000, 1 port)"), std::string::npos) << *one;
}
