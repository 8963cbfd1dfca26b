#include "stack_pool.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <new>

#include "asan_fiber.hpp"

namespace swarmlet::green {
namespace {

// Linux 6.13+: a guard region that does not split the mapping, so 100,000 stacks do not run
// into vm.max_map_count (65,530 by default). Older kernels fall back to mprotect.
#ifndef MADV_GUARD_INSTALL
constexpr int MADV_GUARD_INSTALL = 102;
#endif

}  // namespace

stack_pool::stack_pool(std::size_t stack_size, std::size_t max_pooled)
    : page_size_(static_cast<std::size_t>(::sysconf(_SC_PAGESIZE))), max_pooled_(max_pooled) {
  stack_size_ = (stack_size + page_size_ - 1) / page_size_ * page_size_;
  if (stack_size_ < 4 * page_size_) stack_size_ = 4 * page_size_;
}

stack_pool::~stack_pool() {
  for (void* top : free_) unmap(top);
}

boost::context::stack_context stack_pool::allocate() {
  boost::context::stack_context sc;
  sc.size = stack_size_;
  if (!free_.empty()) {
    sc.sp = free_.back();
    free_.pop_back();
    last_ = sc;
    return sc;
  }
  const std::size_t total = stack_size_ + page_size_;
  void* base = ::mmap(nullptr, total, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) throw std::bad_alloc();
  if (::madvise(base, page_size_, MADV_GUARD_INSTALL) != 0) ::mprotect(base, page_size_, PROT_NONE);
  sc.sp = static_cast<char*>(base) + total;
  last_ = sc;
  return sc;
}

void stack_pool::deallocate(boost::context::stack_context& sc) noexcept {
  asan::forget_stack(static_cast<char*>(sc.sp) - stack_size_, stack_size_);
  if (free_.size() < max_pooled_) {
    try {
      free_.push_back(sc.sp);
      return;
    } catch (...) {
    }
  }
  unmap(sc.sp);
}

void stack_pool::unmap(void* top) noexcept {
  const std::size_t total = stack_size_ + page_size_;
  ::munmap(static_cast<char*>(top) - total, total);
}

}  // namespace swarmlet::green
