#pragma once
// Pure functions that split users: across user classes by weight, and across workers by their
// hub threads (Locust's dispatch, without its state). Tested to exhaustion without a network.
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "proto/id_ranges.hpp"

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

/// One worker's users: user class name -> the ids of its users.
using class_ids = std::map<std::string, proto::id_ranges>;

/// A worker as the split sees it: its id and its hub threads (its weight).
struct worker_weight {
  std::string id;
  int threads = 1;
};

/// Who runs which user ids after a change (of the users per class, or of the workers), with as
/// few moves as it can: `previous` is who ran what before (workers gone are simply absent);
/// each worker's total is its share by hub threads, as users_per_worker; a worker keeps the
/// classes and the ids it already runs where it can (it drops its highest ids first), and the
/// users it must gain get the lowest ids that nobody holds and that are not `unavailable` (ids
/// of users still alive somewhere, being stopped). Ids start at 1; every id is held by at most
/// one worker and one class. Entries of the result follow `workers`; a class with no user on a
/// worker is absent from its map. No fresh id above `highest_id` is given: a worker then gets
/// fewer users than its share, for now (so that `${user_id}` stays within 1..N while ids of
/// users being stopped are still unavailable, the caller asks again once they are free).
std::map<std::string, class_ids> assign_user_ids(
    const std::map<std::string, class_ids>& previous, const std::map<std::string, int>& per_class,
    const std::vector<worker_weight>& workers, const proto::id_ranges& unavailable,
    std::uint64_t highest_id = std::numeric_limits<std::uint64_t>::max());

/// The `n` lowest ids from 1 that `taken` does not hold.
proto::id_ranges lowest_free_ids(const proto::id_ranges& taken, std::uint64_t n);

/// `${worker_index}` per worker: a worker keeps the index it had in `previous`; a new one gets
/// the lowest index that no present worker holds (so indexes are 0..count-1 until one leaves).
std::map<std::string, int> assign_worker_indexes(const std::map<std::string, int>& previous,
                                                 const std::vector<std::string>& workers);

}  // namespace swarmlet::master
