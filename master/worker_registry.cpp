#include "worker_registry.hpp"

#include <algorithm>

namespace swarmlet::master {

bool worker_registry::hello(const std::string& id, const proto::hello_payload& h, time_point now) {
  auto [w, inserted] = workers_.try_emplace(id);
  const bool was_ready = !inserted && w.status == worker_info::state::ready;
  if (!inserted && w.incarnation != 0 && h.incarnation != 0 && w.incarnation != h.incarnation) {
    w.replaced_incarnation = w.incarnation;
    w.replaced_pid = w.pid;
    w.replaced_host = w.host;
  }
  w.id = id;
  w.host = h.host;
  w.pid = h.pid;
  w.incarnation = h.incarnation;
  w.threads = h.threads;
  w.status = worker_info::state::ready;
  w.last_heard = now;
  return !was_ready;
}

bool worker_registry::another_process(const std::string& id, std::uint64_t incarnation) const {
  const worker_info* w = workers_.find(id);
  return w != nullptr && w->incarnation != 0 && incarnation != 0 && w->incarnation != incarnation;
}

bool worker_registry::replaced_process_is_back(const std::string& id,
                                               const proto::hello_payload& h) const {
  const worker_info* w = workers_.find(id);
  return w != nullptr && h.incarnation != 0 && w->replaced_incarnation == h.incarnation;
}

bool worker_registry::heard(const std::string& id, time_point now, int users, double cpu_percent,
                            std::uint64_t incarnation) {
  worker_info* w = workers_.find(id);
  if (w == nullptr) return false;
  if (w->incarnation != 0 && incarnation != 0 && w->incarnation != incarnation) return true;
  w->last_heard = now;
  if (users >= 0) w->users = users;
  if (cpu_percent >= 0) w->cpu_percent = cpu_percent;
  return true;
}

std::vector<std::string> worker_registry::expire(time_point now,
                                                 std::chrono::steady_clock::duration timeout) {
  std::vector<std::string> gone;
  for (auto& [id, w] : workers_) {
    if (w.status == worker_info::state::ready && now - w.last_heard > timeout) {
      w.status = worker_info::state::missing;
      w.users = 0;
      gone.push_back(id);
    }
  }
  return gone;
}

void worker_registry::remove(const std::string& id) {
  workers_.erase(id);
}

bool worker_registry::ready(const std::string& id) const {
  const worker_info* w = workers_.find(id);
  return w != nullptr && w->status == worker_info::state::ready;
}

std::vector<const worker_info*> worker_registry::ready_workers() const {
  std::vector<const worker_info*> out;
  for (const auto& [id, w] : workers_)
    if (w.status == worker_info::state::ready) out.push_back(&w);
  return out;
}

}  // namespace swarmlet::master
