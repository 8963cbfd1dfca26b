#include "app/open_file_limit.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

/// Runs `check` in a child process (a lowered hard limit cannot be raised again without
/// privilege): its exit status, 0 when every check held.
template <typename Check>
int in_child(Check check) {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(check());
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

rlim_t hard_limit() {
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  return lim.rlim_max;
}

TEST(OpenFileLimit, TheSoftLimitIsRaisedToTheHardOne) {
  const rlim_t hard = hard_limit();
  if (hard != RLIM_INFINITY && hard < 300) GTEST_SKIP() << "the hard limit here is " << hard;
  EXPECT_EQ(in_child([hard] {
              rlimit low{256, hard};
              if (::setrlimit(RLIMIT_NOFILE, &low) != 0) return 1;
              const auto raised = swarmlet::app::raise_open_file_limit();
              if (raised.before != 256) return 2;
              rlimit now{};
              ::getrlimit(RLIMIT_NOFILE, &now);
              if (raised.now != now.rlim_cur || now.rlim_cur <= 256) return 3;
              if (hard != RLIM_INFINITY && now.rlim_cur != hard) return 4;
              return 0;
            }),
            0);
}

TEST(OpenFileLimit, ALimitSetOnPurposeOnBothStaysAsItIs) {
  EXPECT_EQ(in_child([] {
              rlimit both{256, 256};
              if (::setrlimit(RLIMIT_NOFILE, &both) != 0) return 1;
              const auto raised = swarmlet::app::raise_open_file_limit();
              if (raised.before != 256 || raised.now != 256) return 2;
              rlimit now{};
              ::getrlimit(RLIMIT_NOFILE, &now);
              return now.rlim_cur == 256 ? 0 : 3;
            }),
            0);
}

}  // namespace
