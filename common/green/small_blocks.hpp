#pragma once
// Small blocks kept for reuse, for allocators that free in bursts: the Lua heap (its collector
// frees hundreds of response tables in one sweep) and nghttp2 (about eleven allocations per
// response, freed together when the stream closes). Bursts larger than glibc's per-thread cache
// (7 blocks per size) went back through malloc's bins and came out of them again: a few hundred
// instructions per request. A free list per 16-byte size class up to 256 bytes makes both ends
// a pointer swap. One per Lua state or hub thread: no locking.
#include <array>
#include <cstddef>

namespace swarmlet::green {

class small_blocks {
 public:
  small_blocks() = default;
  small_blocks(const small_blocks&) = delete;
  small_blocks& operator=(const small_blocks&) = delete;
  ~small_blocks();

  /// A block of at least `size` bytes (any size: large ones come from malloc), or null.
  void* allocate(std::size_t size) noexcept;
  /// Gives back a block that allocate(size) returned.
  void release(void* block, std::size_t size) noexcept;
  /// lua_Alloc's realloc: `block` (from allocate(old_size), or null) resized to `new_size`
  /// (> 0); null if out of memory, `block` then unchanged.
  void* resize(void* block, std::size_t old_size, std::size_t new_size) noexcept;

  /// Bytes held in the free lists (bounded by `max_kept`).
  std::size_t kept_bytes() const noexcept { return kept_bytes_; }
  static constexpr std::size_t max_kept = 8u << 20;

 private:
  static constexpr std::size_t step = 16;
  static constexpr std::size_t largest = 256;
  static constexpr std::size_t classes = largest / step;
  /// The class of a small size (1..largest), whose blocks hold (class + 1) * step bytes.
  static std::size_t class_of(std::size_t size) noexcept { return (size - 1) / step; }

  struct free_block {
    free_block* next;
  };
  std::array<free_block*, classes> free_{};
  std::size_t kept_bytes_ = 0;
};

}  // namespace swarmlet::green
