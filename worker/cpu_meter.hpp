#pragma once
// The process's CPU use between readings (100: one core busy), as Locust's workers report
// theirs: a generator near its CPU limit measures itself, not the target, and should say so.
#include <sys/resource.h>

#include <chrono>

namespace swarmlet::worker {

class cpu_meter {
 public:
  cpu_meter() : last_wall_(std::chrono::steady_clock::now()), last_cpu_s_(process_cpu_seconds()) {}

  /// Percent of one core used since the last reading (or since construction). Readings closer
  /// together than `min_interval` return the last value, so many readers do not make it noise.
  double sample(std::chrono::milliseconds min_interval = std::chrono::milliseconds(500)) {
    const auto now = std::chrono::steady_clock::now();
    const double wall_s = std::chrono::duration<double>(now - last_wall_).count();
    if (wall_s * 1000 < static_cast<double>(min_interval.count())) return last_percent_;
    const double cpu_s = process_cpu_seconds();
    last_percent_ = wall_s > 0 ? 100.0 * (cpu_s - last_cpu_s_) / wall_s : 0.0;
    last_wall_ = now;
    last_cpu_s_ = cpu_s;
    return last_percent_;
  }

 private:
  static double process_cpu_seconds() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  }

  std::chrono::steady_clock::time_point last_wall_;
  double last_cpu_s_;
  double last_percent_ = 0;
};

}  // namespace swarmlet::worker
