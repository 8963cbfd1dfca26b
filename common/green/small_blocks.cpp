#include "small_blocks.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

namespace swarmlet::green {

small_blocks::~small_blocks() {
  for (free_block*& head : free_) {
    while (head != nullptr) std::free(std::exchange(head, head->next));
  }
}

void* small_blocks::allocate(std::size_t size) noexcept {
  if (size == 0 || size > largest) return std::malloc(size);
  const std::size_t c = class_of(size);
  if (free_block* b = free_[c]) {
    free_[c] = b->next;
    kept_bytes_ -= (c + 1) * step;
    return b;
  }
  // The whole class's size, so that the block can serve any size of its class later.
  return std::malloc((c + 1) * step);
}

void small_blocks::release(void* block, std::size_t size) noexcept {
  if (block == nullptr) return;
  if (size == 0 || size > largest || kept_bytes_ >= max_kept) {
    std::free(block);
    return;
  }
  const std::size_t c = class_of(size);
  free_[c] = new (block) free_block{free_[c]};
  kept_bytes_ += (c + 1) * step;
}

void* small_blocks::resize(void* block, std::size_t old_size, std::size_t new_size) noexcept {
  if (block == nullptr) return allocate(new_size);
  const bool old_small = old_size > 0 && old_size <= largest;
  const bool new_small = new_size <= largest;
  if (!old_small && !new_small) return std::realloc(block, new_size);
  if (old_small && new_small && class_of(old_size) == class_of(new_size)) return block;
  void* moved = allocate(new_size);
  if (moved == nullptr) return nullptr;
  std::memcpy(moved, block, std::min(old_size, new_size));
  release(block, old_size);
  return moved;
}

}  // namespace swarmlet::green
