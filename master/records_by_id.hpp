#pragma once
// Records kept per worker id, walked in id order (reports, the console, the API list workers
// sorted) and found by hash. Every stats report finds its worker's records; at thousands of
// workers a walk down an ordered tree of ids, a string compare at each step, cost the master
// more per report than anything but reading the report (bench/README.md, "Session 13").
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace swarmlet::master {

template <class Record>
class records_by_id {
 public:
  records_by_id() = default;
  // The index points into the ordered map's nodes: a copy would point into the original.
  records_by_id(const records_by_id&) = delete;
  records_by_id& operator=(const records_by_id&) = delete;

  /// The record of `id`, made (default) if there was none; true when it was made.
  std::pair<Record&, bool> try_emplace(const std::string& id) {
    if (auto it = hashed_.find(id); it != hashed_.end()) return {*it->second, false};
    auto [pos, added] = ordered_.try_emplace(id);
    hashed_.emplace(pos->first, &pos->second);
    return {pos->second, true};
  }
  Record& operator[](const std::string& id) { return try_emplace(id).first; }

  /// The record of `id`, or null.
  Record* find(std::string_view id) {
    const auto it = hashed_.find(id);
    return it == hashed_.end() ? nullptr : it->second;
  }
  const Record* find(std::string_view id) const {
    const auto it = hashed_.find(id);
    return it == hashed_.end() ? nullptr : it->second;
  }

  void erase(const std::string& id) {
    hashed_.erase(id);  // first: its key is a view of the ordered map's
    ordered_.erase(id);
  }

  /// In id order.
  const std::map<std::string, Record>& ordered() const noexcept { return ordered_; }
  auto begin() { return ordered_.begin(); }
  auto end() { return ordered_.end(); }
  auto begin() const { return ordered_.begin(); }
  auto end() const { return ordered_.end(); }

 private:
  std::map<std::string, Record> ordered_;
  std::unordered_map<std::string_view, Record*> hashed_;
};

}  // namespace swarmlet::master
