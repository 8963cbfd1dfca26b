// What the master knows of its descriptors: descriptors_left answers as the full count does,
// far from the limit (where it need not list them) and right at it.
#include "master/descriptor_budget.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <vector>

namespace sm = swarmlet::master;

namespace {

/// Lowers the soft descriptor limit for one test and puts it back.
class lowered_limit {
 public:
  explicit lowered_limit(rlim_t soft) {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    rlimit l = saved_;
    l.rlim_cur = soft;
    ok_ = ::setrlimit(RLIMIT_NOFILE, &l) == 0;
  }
  ~lowered_limit() { ::setrlimit(RLIMIT_NOFILE, &saved_); }
  bool ok() const { return ok_; }

 private:
  rlimit saved_{};
  bool ok_ = false;
};

TEST(DescriptorBudget, FarFromTheLimitThereIsRoom) {
  const sm::descriptor_use now = sm::descriptors_now();
  ASSERT_GT(now.open, 2u) << "stdin, stdout and stderr at least";
  ASSERT_GT(now.left(), 16u);
  EXPECT_TRUE(sm::descriptors_left(1));
  EXPECT_TRUE(sm::descriptors_left(16));
  if (now.limit != static_cast<std::size_t>(-1)) {
    EXPECT_FALSE(sm::descriptors_left(now.limit + 1)) << "never more than the limit";
  }
}

TEST(DescriptorBudget, AtTheLimitItCountsExactly) {
  const std::size_t open = sm::descriptors_now().open;
  // Five left: below the descriptor table's size (64 at least), so the cheap bound cannot say.
  lowered_limit limit(open + 5);
  ASSERT_TRUE(limit.ok());
  EXPECT_EQ(sm::descriptors_now().left(), 5u);
  EXPECT_TRUE(sm::descriptors_left(5));
  EXPECT_FALSE(sm::descriptors_left(6));
  std::vector<int> taken;
  for (int i = 0; i < 4; ++i) taken.push_back(::dup(0));
  EXPECT_TRUE(sm::descriptors_left(1));
  EXPECT_FALSE(sm::descriptors_left(2));
  taken.push_back(::dup(0));
  EXPECT_FALSE(sm::descriptors_left(1)) << "none left: not even one to look with";
  EXPECT_EQ(sm::descriptors_now().left(), 0u);
  for (int fd : taken) ::close(fd);
  EXPECT_TRUE(sm::descriptors_left(5));
}

}  // namespace
