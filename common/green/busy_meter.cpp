#include "busy_meter.hpp"

#include <pthread.h>

#include <algorithm>

namespace swarmlet::green {

busy_meter::busy_meter() noexcept {
  has_cpu_clock_ = ::pthread_getcpuclockid(::pthread_self(), &cpu_clock_) == 0;
  const time_point now = clock::now();
  cpu_read_at_ = window_began_ = now;
  cpu_at_read_ = window_cpu_ = cpu_now();
}

duration busy_meter::cpu_now() const noexcept {
  timespec t{};
  if (!has_cpu_clock_ || ::clock_gettime(cpu_clock_, &t) != 0) return {};
  return std::chrono::duration_cast<duration>(std::chrono::seconds(t.tv_sec) +
                                              std::chrono::nanoseconds(t.tv_nsec));
}

void busy_meter::read_cpu(time_point now) noexcept {
  cpu_read_at_ = now;
  cpu_at_read_ = cpu_now();
}

void busy_meter::note_long_turn(time_point now, duration turn) noexcept {
  const duration cpu = cpu_now();
  // The CPU since the last reading, less what the thread may have used between that reading
  // and the turn's start (at most that wall time): what it surely ran in the turn itself.
  const duration before_turn = turn_began_ - cpu_read_at_;
  const duration in_turn = std::clamp(cpu - cpu_at_read_ - before_turn, duration::zero(), turn);
  cpu_read_at_ = now;
  cpu_at_read_ = cpu;
  if (in_turn > longest_turn_cpu_) {
    longest_turn_cpu_ = in_turn;
    longest_turn_ = turn;
  }
}

busy_reading busy_meter::take(time_point now) noexcept {
  if (now - window_began_ >= cpu_window) {
    const duration cpu = cpu_now();
    const double wall_s = std::chrono::duration<double>(now - window_began_).count();
    const double cpu_s = std::chrono::duration<double>(cpu - window_cpu_).count();
    // The CPU clock ticks apart from the monotonic one: a thread that ran throughout may read
    // a hair over 100%.
    cpu_percent_ = std::clamp(100.0 * cpu_s / wall_s, 0.0, 100.0);
    window_began_ = now;
    window_cpu_ = cpu;
  }
  busy_reading r{cpu_percent_, longest_turn_cpu_, longest_turn_};
  longest_turn_cpu_ = longest_turn_ = duration::zero();
  return r;
}

}  // namespace swarmlet::green
