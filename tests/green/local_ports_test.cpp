#include "common/green/local_ports.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>

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
  if (!std::filesystem::exists("/proc/sys/net/ipv4/ip_local_port_range"))
    GTEST_SKIP() << "no /proc/sys/net/ipv4/ip_local_port_range here";
  const auto r = green::local_port_range();
  ASSERT_TRUE(r);
  EXPECT_GT(r->size(), 0u);
}

TEST(LocalPorts, ASocketGetsTheWholeSystemRangeAsItsOwnWhereTheKernelTakesIt) {
  if (!green::connects_pick_from_whole_range())
    GTEST_SKIP() << "this kernel has no IP_LOCAL_PORT_RANGE (Linux 6.3+)";
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(green::pick_port_from_whole_range(fd));
  std::uint32_t range = 0;
  socklen_t len = sizeof range;
  EXPECT_EQ(::getsockopt(fd, IPPROTO_IP, 51 /* IP_LOCAL_PORT_RANGE */, &range, &len), 0);
  ::close(fd);
  // Bounds outside any system range: the kernel keeps the system's, without the parity rule.
  EXPECT_EQ(range, (65535u << 16) | 1u);
}
