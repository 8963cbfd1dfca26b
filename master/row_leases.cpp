#include "row_leases.hpp"

#include <algorithm>

namespace swarmlet::master {

row_leases::row_leases(std::map<std::string, std::uint64_t> rows_per_class) {
  for (const auto& [cls, rows] : rows_per_class) classes_[cls].rows = rows;
}

bool row_leases::top_up(const std::string& worker, int workers, const std::set<std::string>& runs) {
  bool changed = false;
  for (auto& [cls, c] : classes_) {
    auto& h = c.workers[worker];
    const std::uint64_t left = c.rows - c.next;
    if (left > 0 && runs.count(cls)) {
      const std::uint64_t unused = h.rows.size() - std::min(h.used, h.rows.size());
      const std::uint64_t per_report = h.used - std::min(h.used_before, h.used);
      if (h.rows.empty() || unused <= per_report) {
        // A quarter of an even share of what is left, or two reports' worth: enough that users
        // rarely wait for rows, little enough that a worker that leaves takes few with it.
        const auto share = (left + 4 * static_cast<std::uint64_t>(std::max(1, workers)) - 1) /
                           (4 * static_cast<std::uint64_t>(std::max(1, workers)));
        const std::uint64_t chunk =
            std::min(left, std::max<std::uint64_t>({share, 2 * per_report, 1}));
        h.rows.insert(c.next, c.next + chunk - 1);
        c.next += chunk;
        h.used_before = h.used;  // the next top-up waits for the next report
        changed = true;
      }
    }
    if (c.next == c.rows && !h.told_final) changed = true;
  }
  return changed;
}

void row_leases::used(const std::string& worker, const std::map<std::string, std::uint64_t>& used) {
  for (const auto& [cls, n] : used) {
    auto c = classes_.find(cls);
    if (c == classes_.end()) continue;
    auto h = c->second.workers.find(worker);
    if (h == c->second.workers.end()) continue;
    // Used in total: never more than it was leased, never less than it said before.
    const std::uint64_t now = std::min<std::uint64_t>(n, h->second.rows.size());
    if (now <= h->second.used) continue;
    c->second.used += now - h->second.used;
    h->second.used_before = h->second.used;
    h->second.used = now;
  }
}

void row_leases::process_gone(const std::string& worker) {
  for (auto& [cls, c] : classes_) {
    auto h = c.workers.find(worker);
    if (h == c.workers.end()) continue;
    c.workers.erase(h);  // what it used stays counted in c.used
  }
}

std::map<std::string, proto::row_lease> row_leases::lease_of(const std::string& worker) {
  std::map<std::string, proto::row_lease> out;
  for (auto& [cls, c] : classes_) {
    auto& h = c.workers[worker];
    h.told_final = c.next == c.rows;
    out[cls] = proto::row_lease{h.rows, h.told_final};
  }
  return out;
}

std::map<std::string, row_leases::usage> row_leases::usage_per_class() const {
  std::map<std::string, usage> out;
  for (const auto& [cls, c] : classes_) {
    usage u;
    u.rows = c.rows;
    u.leased = c.next;
    u.used = c.used;
    out[cls] = u;
  }
  return out;
}

bool row_leases::all_used(const std::map<std::string, std::set<std::string>>& runs) const {
  for (const auto& [cls, c] : classes_) {
    if (c.next < c.rows) return false;
    for (const auto& [worker, h] : c.workers) {
      const auto r = runs.find(worker);
      if (r != runs.end() && r->second.contains(cls) && h.used < h.rows.size()) return false;
    }
  }
  return !classes_.empty();
}

}  // namespace swarmlet::master
