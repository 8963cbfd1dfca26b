#include "common/green/local_ports.hpp"

#include <gtest/gtest.h>

namespace green = swarmlet::green;

TEST(LocalPorts, ReadsTheRangeAsTheKernelWritesIt) {
  const auto r = green::parse_port_range("32768\t60999\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first, 32768u);
  EXPECT_EQ(r->last, 60999u);
  EXPECT_EQ(r->size(), 28232u);
  const auto one = green::parse_port_range("40000 40000");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->size(), 1u);
}

TEST(LocalPorts, RefusesWhatIsNotARange) {
  for (const char* text :
       {"", "32768", "60999 32768", "1024 65536", "a b", "1024 2048 x", "-1 2048", "1024\t"})
    EXPECT_FALSE(green::parse_port_range(text)) << "'" << text << "'";
}

TEST(LocalPorts, ThisMachinesRangeIsReadable) {
  const auto r = green::local_port_range();
  ASSERT_TRUE(r) << "/proc/sys/net/ipv4/ip_local_port_range";
  EXPECT_GT(r->size(), 0u);
}

TEST(LocalPorts, TheHintNamesTheSysctlItsRangeAndWhatToDo) {
  const std::string hint = green::no_local_port_hint(green::port_range{32768, 60999});
  EXPECT_NE(hint.find("net.ipv4.ip_local_port_range (32768-60999, 28232 ports)"), std::string::npos)
      << hint;
  EXPECT_NE(hint.find("more machines"), std::string::npos) << hint;
  EXPECT_EQ(green::no_local_port_hint(std::nullopt).find("ports)"), std::string::npos);
}
