#pragma once
// AddressSanitizer must be told when the stack changes under it; the hub calls these around
// every context switch. They compile to nothing unless the build sets SWARMLET_ASAN_FIBERS.
#include <cstddef>

#if defined(SWARMLET_ASAN_FIBERS)
extern "C" {
void __sanitizer_start_switch_fiber(void** fake_stack_save, const void* bottom, std::size_t size);
void __sanitizer_finish_switch_fiber(void* fake_stack_save, const void** bottom_old,
                                     std::size_t* size_old);
void __asan_unpoison_memory_region(const volatile void* addr, std::size_t size);
}
#endif

namespace swarmlet::green::asan {

/// Before switching to the stack [bottom, bottom+size). `save` is null when the current stack
/// is about to die (a finished green thread).
inline void start_switch(void** save, const void* bottom, std::size_t size) {
#if defined(SWARMLET_ASAN_FIBERS)
  __sanitizer_start_switch_fiber(save, bottom, size);
#else
  (void)save, (void)bottom, (void)size;
#endif
}

/// Right after arriving on a stack; reports the bounds of the stack we came from.
inline void finish_switch(void* save, const void** from_bottom, std::size_t* from_size) {
#if defined(SWARMLET_ASAN_FIBERS)
  __sanitizer_finish_switch_fiber(save, from_bottom, from_size);
#else
  (void)save, (void)from_bottom, (void)from_size;
#endif
}

/// A green thread's stack is given back (to the pool, or to the kernel). The frames it held
/// when its thread switched away for the last time keep their redzones in the sanitizer's
/// shadow, and munmap does not clear them: the next mapping at that address (the io_uring
/// backend's receive buffers, say) would read as a stack overflow. Clears them.
inline void forget_stack(const void* bottom, std::size_t size) {
#if defined(SWARMLET_ASAN_FIBERS)
  __asan_unpoison_memory_region(bottom, size);
#else
  (void)bottom, (void)size;
#endif
}

}  // namespace swarmlet::green::asan
