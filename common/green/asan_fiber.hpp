#pragma once
// AddressSanitizer must be told when the stack changes under it; the hub calls these around
// every context switch. They compile to nothing unless the build sets SWARMLET_ASAN_FIBERS.
#include <cstddef>

#if defined(SWARMLET_ASAN_FIBERS)
extern "C" {
void __sanitizer_start_switch_fiber(void** fake_stack_save, const void* bottom, std::size_t size);
void __sanitizer_finish_switch_fiber(void* fake_stack_save, const void** bottom_old,
                                     std::size_t* size_old);
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

}  // namespace swarmlet::green::asan
