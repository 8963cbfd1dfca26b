#pragma once
// Which user class the open model's user `id` is of: a fixed rule of the id, so that classes
// follow their weights exactly over consecutive ids (weights 3 and 1: of ids 1-4, three are of
// the first class, one of the second, and so on in every four), whatever the order of the
// classes, and a user id started again is of the class it was of before.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace swarmlet::worker {

class class_rotation {
 public:
  /// `weights`: one per class, each at least 1 (the scenario's checks).
  explicit class_rotation(const std::vector<int>& weights);
  /// The class of user `id` (ids count from 1).
  std::size_t class_of(std::uint64_t id);

 private:
  /// Smooth weighted round-robin (nginx's): each turn every class gains its weight, the one
  /// with most is picked and pays the total. Over a cycle of the weights' sum (reduced by their
  /// common divisor), each class is picked exactly its weight of times, spread evenly.
  std::size_t next_turn();

  std::vector<std::int64_t> weights_;
  std::int64_t cycle_ = 0;  ///< the sum of the reduced weights
  std::vector<std::int64_t> credit_;
  std::vector<std::uint32_t> turns_;  ///< the class of each position of the cycle worked out so far
};

}  // namespace swarmlet::worker
