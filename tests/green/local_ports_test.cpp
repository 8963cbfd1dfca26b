#include "common/green/local_ports.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <vector>

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

TEST(LocalPorts, ConnectsGivenTheWholeRangeAreNotHeldToOneParity) {
  // Linux gives a connect a port of the range's first parity while one is free (the half it
  // scans); given the whole range as its own, from 6.8, the other parity comes as often. 24
  // connects to as many listeners (each destination starts at its own offset) all of the one
  // parity: 1 in 2^24 by chance, every time under the old rule.
  if (!green::connects_pick_from_whole_range())
    GTEST_SKIP() << "before Linux 6.8: connects keep the parity rule";
  const auto range = green::local_port_range();
  ASSERT_TRUE(range);
  std::vector<int> fds;
  bool other_parity = false;
  for (int i = 0; i < 24; ++i) {
    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(listener, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(listener, 1), 0);
    ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len), 0);
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    EXPECT_TRUE(green::pick_port_from_whole_range(fd));
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    sockaddr_in local{};
    len = sizeof local;
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len), 0);
    if ((ntohs(local.sin_port) & 1u) != (range->first & 1u)) other_parity = true;
    fds.push_back(fd);
    fds.push_back(listener);
  }
  for (const int fd : fds) ::close(fd);
  EXPECT_TRUE(other_parity) << "every port of the range's first parity";
}
