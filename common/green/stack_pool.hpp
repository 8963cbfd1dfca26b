#pragma once
// Stacks for green threads: mmap'd, with a guard page below each so an overflow faults instead
// of corrupting a neighbour, committed lazily by the kernel as the stack grows (an idle green
// thread costs the pages it touched, not its reserved size), and reused through a free list.
#include <boost/context/stack_context.hpp>
#include <cstddef>
#include <vector>

namespace swarmlet::green {

class stack_pool {
 public:
  /// `stack_size`: usable bytes reserved per stack (rounded up to pages);
  /// `max_pooled`: released stacks kept for reuse before they go back to the kernel.
  explicit stack_pool(std::size_t stack_size = 256 * 1024, std::size_t max_pooled = 4096);
  stack_pool(const stack_pool&) = delete;
  stack_pool& operator=(const stack_pool&) = delete;
  ~stack_pool();

  /// A stack, reused if one is pooled. Throws std::bad_alloc when the kernel refuses memory.
  boost::context::stack_context allocate();
  void deallocate(boost::context::stack_context& sc) noexcept;

  std::size_t stack_size() const noexcept { return stack_size_; }
  /// The stack handed out last (Boost.Context allocates inside the fiber's constructor; the
  /// hub reads the bounds here for the sanitizer's annotations).
  const boost::context::stack_context& last_allocated() const noexcept { return last_; }

 private:
  void unmap(void* top) noexcept;
  std::size_t page_size_;
  std::size_t stack_size_;
  std::size_t max_pooled_;
  std::vector<void*> free_;  // tops of pooled stacks
  boost::context::stack_context last_{};
};

/// The StackAllocator that Boost.Context copies into each fiber: borrows the hub's pool.
class pooled_stack {
 public:
  explicit pooled_stack(stack_pool& pool) noexcept : pool_(&pool) {}
  boost::context::stack_context allocate() { return pool_->allocate(); }
  void deallocate(boost::context::stack_context& sc) noexcept { pool_->deallocate(sc); }

 private:
  stack_pool* pool_;
};

}  // namespace swarmlet::green
