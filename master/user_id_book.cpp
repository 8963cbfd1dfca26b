#include "user_id_book.hpp"

namespace swarmlet::master {

void user_id_book::retire(const std::string& worker, std::uint64_t command, proto::id_ranges ids) {
  if (!ids.empty()) retiring_[worker].push_back({command, std::move(ids)});
}

void user_id_book::assign(const std::string& worker, std::uint64_t command, class_ids ids) {
  proto::id_ranges before, now;
  if (auto it = assigned_.find(worker); it != assigned_.end())
    for (const auto& [cls, set] : it->second) before.insert(set);
  for (const auto& [cls, set] : ids) now.insert(set);
  before.erase(now);
  retire(worker, command, std::move(before));
  assigned_[worker] = std::move(ids);
  last_command_[worker] = command;
}

void user_id_book::leave(const std::string& worker) {
  auto it = assigned_.find(worker);
  if (it == assigned_.end()) return;
  proto::id_ranges all;
  for (const auto& [cls, set] : it->second) all.insert(set);
  retire(worker, last_command_[worker], std::move(all));
  assigned_.erase(it);
}

void user_id_book::process_gone(const std::string& worker) {
  assigned_.erase(worker);
  retiring_.erase(worker);
  last_command_.erase(worker);
}

bool user_id_book::reported(const std::string& worker, std::uint64_t command,
                            const proto::id_ranges& live) {
  auto it = retiring_.find(worker);
  if (it == retiring_.end()) return false;
  bool freed = false;
  for (auto& r : it->second)
    if (r.command <= command) {
      auto still = r.ids.intersection(live);
      freed = freed || still.size() < r.ids.size();
      r.ids = std::move(still);
    }
  std::erase_if(it->second, [](const retiring& r) { return r.ids.empty(); });
  if (it->second.empty()) retiring_.erase(it);
  return freed;
}

proto::id_ranges user_id_book::unavailable() const {
  proto::id_ranges out;
  for (const auto& [worker, list] : retiring_)
    for (const auto& r : list) out.insert(r.ids);
  return out;
}

proto::id_ranges user_id_book::unavailable_elsewhere() const {
  proto::id_ranges out;
  for (const auto& [worker, list] : retiring_)
    if (!assigned_.contains(worker))
      for (const auto& r : list) out.insert(r.ids);
  return out;
}

}  // namespace swarmlet::master
