// The Lua heap's free lists of small blocks (common/green/small_blocks.hpp).
#include "common/green/small_blocks.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace {

using swarmlet::green::small_blocks;

TEST(SmallBlocks, AReleasedBlockServesTheNextAllocationOfItsClass) {
  small_blocks b;
  void* first = b.allocate(40);
  b.release(first, 40);
  EXPECT_EQ(b.kept_bytes(), 48u) << "40 bytes is the 33..48 class";
  EXPECT_EQ(b.allocate(48), first) << "same class";
  EXPECT_EQ(b.kept_bytes(), 0u);
  void* other = b.allocate(40);
  EXPECT_NE(other, first) << "the list was empty again";
  b.release(other, 40);
  b.release(first, 48);
}

TEST(SmallBlocks, LargeBlocksAreNotKept) {
  small_blocks b;
  void* big = b.allocate(4096);
  ASSERT_NE(big, nullptr);
  b.release(big, 4096);
  EXPECT_EQ(b.kept_bytes(), 0u);
}

TEST(SmallBlocks, ResizingKeepsTheContentAcrossClassesAndToLargeAndBack) {
  small_blocks b;
  const std::string text = "0123456789abcdef0123456789";  // 26 bytes
  auto* p = static_cast<char*>(b.allocate(text.size()));
  std::memcpy(p, text.data(), text.size());
  EXPECT_EQ(b.resize(p, 26, 30), p) << "26 and 30 are one class: no move";
  p = static_cast<char*>(b.resize(p, 30, 200));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(std::string(p, 26), text);
  p = static_cast<char*>(b.resize(p, 200, 10'000));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(std::string(p, 26), text);
  p = static_cast<char*>(b.resize(p, 10'000, 20));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(std::string(p, 20), text.substr(0, 20));
  b.release(p, 20);
}

TEST(SmallBlocks, TheFreeListsStopGrowingAtTheirBound) {
  small_blocks b;
  const std::size_t n = small_blocks::max_kept / 256 + 100;
  std::vector<void*> blocks;
  for (std::size_t i = 0; i < n; ++i) blocks.push_back(b.allocate(256));
  for (void* p : blocks) b.release(p, 256);
  EXPECT_EQ(b.kept_bytes(), small_blocks::max_kept) << "the rest went back to malloc";
}

}  // namespace
