#include "timeout.hpp"

#include "hub.hpp"

namespace swarmlet::green {

timeout::timeout(duration d, std::string why) : why_(std::move(why)) {
  hub& h = hub::get();
  thread_ = h.current_thread();
  if (thread_ == nullptr)
    throw hub_misuse("a timeout guards a green thread: do not make one in the hub loop");
  h.timers().arm(timer_, clock::now() + d);
}

void timeout::expiry::fire() {
  owner_.expired_ = true;
  thread_record* t = owner_.thread_;
  // An earlier error already on its way (an outer timeout, a kill) wins.
  t->home()->inject(t, std::make_exception_ptr(timeout_error(&owner_, owner_.why_)),
                    /*replace=*/false);
}

}  // namespace swarmlet::green
