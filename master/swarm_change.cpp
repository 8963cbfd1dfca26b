#include "swarm_change.hpp"

#include "common/config/untrusted_json.hpp"

namespace swarmlet::master {

int user_count(const nlohmann::json& value, const std::string& what) {
  if (!value.is_number_integer() || value.get<long long>() < 0 ||
      value.get<long long>() > 10'000'000)
    throw bad_field(what + ": a whole number from 0 to 10000000, not " + value.dump());
  return static_cast<int>(value.get<long long>());
}

swarm_change read_swarm_change(const nlohmann::json& body) {
  if (!body.is_object() || body.empty())
    throw bad_field(
        "send {\"users\": N, \"spawn_rate\": R} (N from 0 to 10000000, R from 0.001 to 10000000; "
        "leave one out to keep its current value)");
  swarm_change change;
  for (const auto& [key, value] : body.items()) {
    if (key == "users") {
      change.users = user_count(value, "users");
    } else if (key == "spawn_rate") {
      // The scenario's bounds: a rate beyond them reached the workers, which dropped the
      // spawn command as bad, while the master took it.
      if (!value.is_number() || !(value.get<double>() >= 0.001) || !(value.get<double>() <= 1e7))
        throw bad_field("spawn_rate: expected 0.001 to 10000000 users per second, not " +
                        value.dump());
      change.spawn_rate = value.get<double>();
    } else {
      throw bad_field("unknown field '" + key + "' (users, spawn_rate)");
    }
  }
  return change;
}

nlohmann::json console_word(std::string_view word) {
  auto value = config::parse_untrusted_json(word);
  if (value.is_discarded()) return nlohmann::json(std::string(word));
  return value;
}

}  // namespace swarmlet::master
