#include "user_context.hpp"

#include "common/stats/stats_table.hpp"

namespace swarmlet::script {

void user_context::settle() {
  if (!pending) return;
  pending_response p = std::move(*pending);
  pending.reset();
  if (p.entry == nullptr) return;
  p.entry->record(p.elapsed_us, p.bytes, !p.default_failure.empty());
  if (!p.default_failure.empty() && p.table != nullptr)
    p.table->record_error(p.method, p.name, p.default_failure);
}

void user_context::kill_children() {
  for (auto& t : children)
    if (!t.dead()) t.kill();
  children.clear();
}

}  // namespace swarmlet::script
