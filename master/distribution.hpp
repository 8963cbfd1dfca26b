#pragma once
// Pure functions that split users: across user classes by weight, and across workers by their
// hub threads (Locust's dispatch, without its state). Tested to exhaustion without a network.
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace swarmlet::master {

/// Splits `total` by `weights` (largest remainder: counts add up to `total`, each within one
/// of its exact share; ties go to the earlier entry).
std::vector<int> split_by_weight(int total, const std::vector<int>& weights);

/// Users per class for `total` users of classes (name, weight).
std::map<std::string, int> users_per_class(int total,
                                           const std::vector<std::pair<std::string, int>>& classes);

/// Splits each class's users across workers weighted by `worker_threads`; entry w of the
/// result is worker w's users per class. Classes are spread so every worker's total is within
/// one of its share.
std::vector<std::map<std::string, int>> users_per_worker(
    const std::map<std::string, int>& per_class, const std::vector<int>& worker_threads);

}  // namespace swarmlet::master
