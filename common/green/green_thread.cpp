#include "green_thread.hpp"

#include <cstdio>

namespace swarmlet::green::detail {

void report_unjoined(std::uint64_t thread_id, const std::exception_ptr& error) noexcept {
  try {
    std::rethrow_exception(error);
  } catch (const green_exit&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "swarmlet: green thread %llu raised an exception nobody waited for: %s\n",
                 static_cast<unsigned long long>(thread_id), e.what());
  } catch (...) {
    std::fprintf(stderr,
                 "swarmlet: green thread %llu raised a non-standard exception nobody waited for\n",
                 static_cast<unsigned long long>(thread_id));
  }
}

}  // namespace swarmlet::green::detail
