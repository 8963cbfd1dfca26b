#include "h2_memory.hpp"

#include <cstddef>
#include <cstring>
#include <limits>

#include "common/green/small_blocks.hpp"

namespace swarmlet::http {
namespace {

// nghttp2's free gives no size: each block starts with it. 16 bytes keep the rest aligned.
constexpr std::size_t prefix = 16;

green::small_blocks& blocks() {
  thread_local green::small_blocks per_thread;
  return per_thread;
}

void* with_size(void* block, std::size_t size) {
  if (block == nullptr) return nullptr;
  std::memcpy(block, &size, sizeof size);
  return static_cast<char*>(block) + prefix;
}

std::size_t size_of(void* user_block, void*& block) {
  block = static_cast<char*>(user_block) - prefix;
  std::size_t size = 0;
  std::memcpy(&size, block, sizeof size);
  return size;
}

void* h2_malloc(std::size_t size, void*) {
  if (size > std::numeric_limits<std::size_t>::max() - prefix) return nullptr;
  return with_size(blocks().allocate(size + prefix), size);
}

void h2_free(void* user_block, void*) {
  if (user_block == nullptr) return;
  void* block = nullptr;
  const std::size_t size = size_of(user_block, block);
  blocks().release(block, size + prefix);
}

void* h2_calloc(std::size_t n, std::size_t each, void*) {
  if (each != 0 && n > (std::numeric_limits<std::size_t>::max() - prefix) / each) return nullptr;
  void* p = h2_malloc(n * each, nullptr);
  if (p != nullptr) std::memset(p, 0, n * each);
  return p;
}

void* h2_realloc(void* user_block, std::size_t size, void*) {
  if (user_block == nullptr) return h2_malloc(size, nullptr);
  if (size > std::numeric_limits<std::size_t>::max() - prefix) return nullptr;
  void* block = nullptr;
  const std::size_t old_size = size_of(user_block, block);
  return with_size(blocks().resize(block, old_size + prefix, size + prefix), size);
}

}  // namespace

nghttp2_mem* h2_memory() {
  static nghttp2_mem mem{nullptr, h2_malloc, h2_free, h2_calloc, h2_realloc};
  return &mem;
}

}  // namespace swarmlet::http
