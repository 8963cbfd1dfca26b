#include "manual_clock.hpp"

#include <cstdio>
#include <cstdlib>
#include <exception>

#include "hub.hpp"

namespace swarmlet::green {

manual_clock::~manual_clock() {
  if (!sleepers_.empty()) {
    std::fputs("manual_clock destroyed while green threads sleep on it: destroy them first\n",
               stderr);
    std::abort();
  }
}

void manual_clock::sleep_until(time_point when) {
  event<> never;
  wait_until(never, when);
}

bool manual_clock::wait_until(event<>& e, time_point until) {
  if (e.ready()) {
    e.wait();  // rethrows what it carries
    return true;
  }
  if (until <= now_) return false;
  sleeper self{hub::get().current_thread()};
  const auto entry = sleepers_.emplace(until, &self);
  try {
    e.wait();
  } catch (const expired&) {
    return e.ready();  // sent in the same turn as the deadline passed: it counts
  } catch (...) {
    if (!self.woken) sleepers_.erase(entry);
    throw;
  }
  if (!self.woken) sleepers_.erase(entry);
  return true;
}

void manual_clock::settle() {
  hub& h = hub::get();
  while (h.others_ready()) h.yield();
}

void manual_clock::advance(duration d) {
  const time_point end = now_ + d;
  settle();
  while (!sleepers_.empty() && sleepers_.begin()->first <= end) {
    const auto [when, sleeper] = *sleepers_.begin();
    sleepers_.erase(sleepers_.begin());
    sleeper->woken = true;
    if (when > now_) now_ = when;
    // Keeps a pending kill rather than replacing it with the expiry.
    hub::get().inject(sleeper->thread, std::make_exception_ptr(expired{}), false);
    settle();
  }
  now_ = end;
  settle();
}

}  // namespace swarmlet::green
