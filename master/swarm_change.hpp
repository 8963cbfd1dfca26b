#pragma once
// A change of the running test's users, as POST /api/swarm and the backdoor console's `spawn`
// ask for it, read from untrusted input with the bounds a scenario's load has: every way in
// refuses the same values in the same words. Past them, the workers refused the command the
// master had taken (a rate of inf), or the master froze spreading 2^31 users (sandbox hunt).
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace swarmlet::master {

/// A field of a request that is not what it must be; what() says which and why, in one line.
struct bad_field : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A user count: a whole number from 0 to 10,000,000 (1.5 users was read as 1). Throws
/// bad_field naming `what`.
int user_count(const nlohmann::json& value, const std::string& what);

/// The users and the spawn rate to move to; one left out keeps what the test asks for now.
struct swarm_change {
  std::optional<int> users;
  std::optional<double> spawn_rate;
};

/// `body` ({"users": N, "spawn_rate": R}, at least one of them) as a swarm_change: users as
/// user_count(), the rate from 0.001 to 10,000,000 users/s. Throws bad_field.
swarm_change read_swarm_change(const nlohmann::json& body);

/// A word typed at a console as the JSON value it spells ("10", "2.5"), or else as a string
/// ("0x10", "inf"), which read_swarm_change() then names as what it is not.
nlohmann::json console_word(std::string_view word);

}  // namespace swarmlet::master
