// nghttp2's allocator (common/http/h2_memory.hpp): the four calls nghttp2 makes, as malloc's.
#include "common/http/h2_memory.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

namespace {

TEST(H2Memory, BlocksHoldTheirBytesThroughReallocToAnySize) {
  nghttp2_mem* m = swarmlet::http::h2_memory();
  auto* p = static_cast<char*>(m->malloc(10, m->mem_user_data));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 16, 0u) << "aligned as malloc's";
  std::memcpy(p, "0123456789", 10);
  for (std::size_t size : {12u, 100u, 5'000u, 40u}) {
    p = static_cast<char*>(m->realloc(p, size, m->mem_user_data));
    ASSERT_NE(p, nullptr) << size;
    EXPECT_EQ(std::string(p, 10), "0123456789") << size;
  }
  m->free(p, m->mem_user_data);
  m->free(nullptr, m->mem_user_data);
}

TEST(H2Memory, CallocZeroesEvenARecycledBlock) {
  nghttp2_mem* m = swarmlet::http::h2_memory();
  auto* dirty = static_cast<unsigned char*>(m->malloc(64, m->mem_user_data));
  ASSERT_NE(dirty, nullptr);
  std::memset(dirty, 0xff, 64);
  m->free(dirty, m->mem_user_data);
  auto* clean = static_cast<unsigned char*>(m->calloc(8, 8, m->mem_user_data));
  ASSERT_NE(clean, nullptr);
  for (int i = 0; i < 64; ++i) EXPECT_EQ(clean[i], 0) << i;
  m->free(clean, m->mem_user_data);
}

TEST(H2Memory, SizesThatOverflowAreRefused) {
  nghttp2_mem* m = swarmlet::http::h2_memory();
  const std::size_t huge = std::numeric_limits<std::size_t>::max();
  EXPECT_EQ(m->malloc(huge - 4, m->mem_user_data), nullptr);
  EXPECT_EQ(m->calloc(huge / 2, 4, m->mem_user_data), nullptr);
  void* p = m->malloc(8, m->mem_user_data);
  EXPECT_EQ(m->realloc(p, huge, m->mem_user_data), nullptr);
  m->free(p, m->mem_user_data);
}

}  // namespace
