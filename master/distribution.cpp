#include "distribution.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

namespace swarmlet::master {

std::vector<int> split_by_weight(int total, const std::vector<int>& weights) {
  std::vector<int> out(weights.size(), 0);
  const long long sum = std::accumulate(weights.begin(), weights.end(), 0LL);
  if (sum <= 0 || total <= 0) return out;
  std::vector<std::pair<double, std::size_t>> remainders;
  int given = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const double exact = static_cast<double>(total) * weights[i] / static_cast<double>(sum);
    out[i] = static_cast<int>(std::floor(exact));
    given += out[i];
    remainders.emplace_back(exact - out[i], i);
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t k = 0; given < total; ++k, ++given)
    ++out[remainders[k % remainders.size()].second];
  return out;
}

std::map<std::string, int> users_per_class(
    int total, const std::vector<std::pair<std::string, int>>& classes) {
  std::vector<int> weights;
  for (const auto& c : classes) weights.push_back(c.second);
  const auto split = split_by_weight(total, weights);
  std::map<std::string, int> out;
  for (std::size_t i = 0; i < classes.size(); ++i) out[classes[i].first] = split[i];
  return out;
}

namespace {

/// Deals each class's `left` users over the workers with `room`, one at a time and class after
/// class, the next worker carrying on where the previous class stopped: every worker gets a mix
/// of the classes. (Dealing a user of each class in turn to the next worker, Locust's way, gave
/// two workers of two equal classes one class each.)
void deal_classes(std::vector<std::map<std::string, int>>& into,
                  const std::map<std::string, int>& left, std::vector<int>& room) {
  const std::size_t workers = into.size();
  std::size_t w = 0;
  for (const auto& [name, count] : left) {
    for (int n = count; n > 0; --n) {
      std::size_t tries = 0;
      while (tries < workers && room[w] == 0) {
        w = (w + 1) % workers;
        ++tries;
      }
      if (tries == workers) return;  // every worker is full
      ++into[w][name];
      --room[w];
      w = (w + 1) % workers;
    }
  }
}

}  // namespace

std::vector<std::map<std::string, int>> users_per_worker(
    const std::map<std::string, int>& per_class, const std::vector<int>& worker_threads) {
  std::vector<std::map<std::string, int>> out(worker_threads.size());
  if (worker_threads.empty()) return out;
  int total = 0;
  for (const auto& [name, n] : per_class) total += n;
  // First the workers' totals, then each class dealt over the workers (see deal_classes).
  const auto totals = split_by_weight(total, worker_threads);
  std::vector<int> room = totals;
  deal_classes(out, per_class, room);
  return out;
}

proto::id_ranges lowest_free_ids(const proto::id_ranges& taken, std::uint64_t n) {
  proto::id_ranges out;
  std::uint64_t next = 1;
  for (const auto& r : taken.ranges()) {
    if (n == 0) return out;
    if (r.last < next) continue;
    if (r.first > next) {
      const std::uint64_t take = std::min(n, r.first - next);
      out.insert(next, next + take - 1);
      n -= take;
    }
    next = std::max(next, r.last + 1);
  }
  if (n > 0) out.insert(next, next + n - 1);
  return out;
}

namespace {

/// Users per worker and class that stay as close to `held` as the new totals allow: first the
/// classes shrink to their totals (on the workers furthest above their own total), then the
/// workers to theirs (their biggest class first); what is missing is then dealt over the
/// workers class by class, as users_per_worker does.
std::vector<std::map<std::string, int>> sticky_counts(std::vector<std::map<std::string, int>> held,
                                                      const std::map<std::string, int>& per_class,
                                                      const std::vector<int>& totals) {
  const std::size_t workers = held.size();
  auto row_sum = [&](std::size_t w) {
    int n = 0;
    for (const auto& [c, k] : held[w]) n += k;
    return n;
  };
  for (auto& row : held)
    std::erase_if(row, [&](const auto& e) { return per_class.count(e.first) == 0; });
  for (const auto& [cls, want] : per_class) {
    int have = 0;
    for (auto& row : held) have += row[cls];
    while (have > want) {
      std::size_t best = workers;
      int best_over = 0, best_n = 0;
      for (std::size_t w = 0; w < workers; ++w) {
        const int n = held[w][cls];
        if (n == 0) continue;
        const int over = row_sum(w) - totals[w];
        if (best == workers || over > best_over || (over == best_over && n > best_n)) {
          best = w;
          best_over = over;
          best_n = n;
        }
      }
      // Take as many as the worker is over (at least one), within the class's excess.
      const int take = std::min({have - want, best_n, std::max(1, best_over)});
      held[best][cls] -= take;
      have -= take;
    }
  }
  for (std::size_t w = 0; w < workers; ++w) {
    int over = row_sum(w) - totals[w];
    while (over > 0) {
      auto biggest = std::max_element(held[w].begin(), held[w].end(),
                                      [](auto& a, auto& b) { return a.second < b.second; });
      const int take = std::min(over, std::max(1, biggest->second / 2));
      biggest->second -= take;
      over -= take;
    }
  }
  std::vector<int> room(workers);
  for (std::size_t w = 0; w < workers; ++w) room[w] = totals[w] - row_sum(w);
  std::map<std::string, int> left;
  for (const auto& [cls, want] : per_class) {
    int have = 0;
    for (auto& row : held) have += row[cls];
    left[cls] = want - have;
  }
  deal_classes(held, left, room);
  for (auto& row : held) std::erase_if(row, [](const auto& e) { return e.second == 0; });
  return held;
}

}  // namespace

std::map<std::string, class_ids> assign_user_ids(const std::map<std::string, class_ids>& previous,
                                                 const std::map<std::string, int>& per_class,
                                                 const std::vector<worker_weight>& workers,
                                                 const proto::id_ranges& unavailable,
                                                 std::uint64_t highest_id) {
  std::map<std::string, class_ids> out;
  if (workers.empty()) return out;
  int total = 0;
  for (const auto& [cls, n] : per_class) total += n;
  std::vector<int> threads;
  std::vector<std::map<std::string, int>> held(workers.size());
  for (std::size_t w = 0; w < workers.size(); ++w) {
    threads.push_back(workers[w].threads);
    if (auto it = previous.find(workers[w].id); it != previous.end())
      for (const auto& [cls, ids] : it->second) held[w][cls] = static_cast<int>(ids.size());
  }
  const auto counts = sticky_counts(held, per_class, split_by_weight(total, threads));
  // No id held before is handed to another user now: one that a worker drops is still alive
  // there until its user has stopped (afterwards the caller no longer lists it as unavailable).
  proto::id_ranges taken = unavailable;
  for (const auto& [worker, classes] : previous)
    for (const auto& [cls, ids] : classes) taken.insert(ids);
  proto::id_ranges kept_so_far;
  std::vector<std::map<std::string, std::uint64_t>> missing(workers.size());
  for (std::size_t w = 0; w < workers.size(); ++w) {
    const auto before = previous.find(workers[w].id);
    for (const auto& [cls, n] : counts[w]) {
      proto::id_ranges kept;
      if (before != previous.end()) {
        if (auto it = before->second.find(cls); it != before->second.end())
          kept = it->second.lowest(static_cast<std::uint64_t>(n));
      }
      // An id held twice in `previous` (it cannot be, but the input is not ours) stays once.
      kept.erase(kept_so_far.intersection(kept));
      kept_so_far.insert(kept);
      missing[w][cls] = static_cast<std::uint64_t>(n) - kept.size();
      out[workers[w].id][cls] = std::move(kept);
    }
  }
  for (std::size_t w = 0; w < workers.size(); ++w)
    for (const auto& [cls, n] : missing[w]) {
      if (n == 0) continue;
      auto fresh = lowest_free_ids(taken, n);
      if (highest_id < std::numeric_limits<std::uint64_t>::max())
        fresh = highest_id == 0 ? proto::id_ranges{}
                                : fresh.intersection(proto::id_ranges::span(1, highest_id));
      taken.insert(fresh);
      out[workers[w].id][cls].insert(fresh);
    }
  return out;
}

std::map<std::string, int> assign_worker_indexes(const std::map<std::string, int>& previous,
                                                 const std::vector<std::string>& workers) {
  std::map<std::string, int> out;
  std::set<int> held;
  for (const auto& id : workers)
    if (auto it = previous.find(id); it != previous.end() && held.insert(it->second).second)
      out[id] = it->second;
  int next = 0;
  for (const auto& id : workers) {
    if (out.count(id)) continue;
    while (held.count(next)) ++next;
    out[id] = next;
    held.insert(next);
  }
  return out;
}

}  // namespace swarmlet::master
