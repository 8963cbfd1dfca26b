#include "distribution.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

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

std::vector<std::map<std::string, int>> users_per_worker(
    const std::map<std::string, int>& per_class, const std::vector<int>& worker_threads) {
  std::vector<std::map<std::string, int>> out(worker_threads.size());
  if (worker_threads.empty()) return out;
  int total = 0;
  for (const auto& [name, n] : per_class) total += n;
  // First the workers' totals, then fill each worker class by class in a round-robin over
  // classes, so a small class is not all on one worker.
  const auto totals = split_by_weight(total, worker_threads);
  std::vector<int> room = totals;
  std::map<std::string, int> left = per_class;
  std::size_t w = 0;
  bool progress = true;
  while (progress) {
    progress = false;
    for (auto& [name, n] : left) {
      if (n == 0) continue;
      for (std::size_t tries = 0; tries < out.size(); ++tries, w = (w + 1) % out.size()) {
        if (room[w] > 0) break;
      }
      if (room[w] == 0) break;
      ++out[w][name];
      --room[w];
      --n;
      w = (w + 1) % out.size();
      progress = true;
    }
  }
  return out;
}

}  // namespace swarmlet::master
