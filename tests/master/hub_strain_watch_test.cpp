// When the master says that a worker's response times include its generator's own delay.
#include "master/hub_strain_watch.hpp"

#include <gtest/gtest.h>

namespace m = swarmlet::master;
namespace p = swarmlet::proto;

namespace {

p::hub_strain busy(int thread, double cpu_percent) {
  return {thread, cpu_percent, thread, 0};
}
p::hub_strain blocked(int thread, double ms) {
  return {thread, 5, thread, ms};
}

TEST(HubStrainWatch, AHubThreadOverNinetyPercentOfItsCoreIsNamedWithItsWorker) {
  m::hub_strain_watch w;
  EXPECT_FALSE(w.observe("w1", busy(0, 90))) << "Locust's rule: above 90%";
  const auto said = w.observe("w1", busy(1, 97.4));
  ASSERT_TRUE(said);
  EXPECT_EQ(*said,
            "worker w1: hub thread 1 used 97% of a CPU core: response times measured on that "
            "thread include the generator's own delay, not only the target's (its users' work, "
            "e.g. a script computing; give it more hub threads or workers, or its users less to "
            "compute)");
}

TEST(HubStrainWatch, ALoopKeptFromPollingForATenthOfASecondIsNamedWithHowLong) {
  m::hub_strain_watch w;
  EXPECT_FALSE(w.observe("w1", blocked(0, 99.9)));
  const auto said = w.observe("w1", blocked(0, 503.4));
  ASSERT_TRUE(said);
  EXPECT_NE(said->find("worker w1: hub thread 0 ran 503 ms at a stretch without polling its "
                       "sockets: response times measured on that thread include the generator's "
                       "own delay"),
            std::string::npos)
      << *said;
}

TEST(HubStrainWatch, BothAreSaidInOneWarningNamingEachThread) {
  m::hub_strain_watch w;
  const auto said = w.observe("w1", {0, 99, 1, 250});
  ASSERT_TRUE(said);
  EXPECT_NE(said->find("hub thread 0 used 99% of a CPU core and hub thread 1 ran 250 ms at a "
                       "stretch without polling its sockets: response times measured on those "
                       "threads"),
            std::string::npos)
      << *said;
}

TEST(HubStrainWatch, AWorkerIsNamedOnceInATest) {
  // Review: named again after each calm report, a script computing 200 ms every 2 s warned
  // every other report, six times in 14 s.
  m::hub_strain_watch w;
  EXPECT_TRUE(w.observe("w1", busy(0, 95)));
  EXPECT_FALSE(w.observe("w1", busy(0, 99))) << "said once";
  EXPECT_FALSE(w.observe("w1", blocked(0, 400))) << "said once, whatever the strain";
  EXPECT_TRUE(w.observe("w2", busy(0, 95))) << "each worker is named";
  EXPECT_FALSE(w.observe("w1", busy(0, 10)));  // calm
  EXPECT_FALSE(w.observe("w1", blocked(0, 200))) << "not said again after a calm report";
}

TEST(HubStrainWatch, AnIdleWorkerIsNeverNamed) {
  m::hub_strain_watch w;
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(w.observe("w1", {0, 12.5, 0, 3}));
}

}  // namespace
