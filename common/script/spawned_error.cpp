#include "spawned_error.hpp"

#include <cstdio>

#include "common/stats/exception_table.hpp"
#include "common/stats/stats_table.hpp"
#include "engine.hpp"
#include "scripted_user.hpp"

namespace swarmlet::script {

void spawned_error::count_if_untaken() {
  if (settled_) return;
  settled_ = true;
  // While the engine closes (lua_close collects the last handles) its tables may be gone.
  stats::stats_table* table = owner_.closing() ? nullptr : owner_.stats_of(user_);
  stats::exception_table* exceptions = owner_.closing() ? nullptr : owner_.exceptions_of(user_);
  if (table != nullptr) {
    table->entry(script_error_type, spawned_thread_name).record(0, 0, true);
    table->record_error(script_error_type, spawned_thread_name, message_);
  }
  if (exceptions != nullptr) {
    exceptions->record(message_, traceback_);
  } else {
    std::fprintf(stderr, "swarmlet: a spawned thread failed and nobody took its error: %s\n",
                 message_.c_str());
  }
}

}  // namespace swarmlet::script
