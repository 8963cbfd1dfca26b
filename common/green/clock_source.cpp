#include "clock_source.hpp"

#include "operations.hpp"

namespace swarmlet::green {

void hub_clock::sleep_until(time_point when) {
  green::sleep_until(when);
}

bool hub_clock::wait_until(event<>& e, time_point until) {
  return e.wait_for(std::max(duration::zero(), until - clock::now())).has_value();
}

clock_source& real_time() {
  static hub_clock instance;
  return instance;
}

}  // namespace swarmlet::green
