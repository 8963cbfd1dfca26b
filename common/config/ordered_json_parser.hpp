#pragma once
// JSON text parsed into nlohmann::ordered_json, each object's keys in the order the text has
// them, in time linear in the text. nlohmann's own parser inserts each key into an ordered_json
// object by a search through the keys before it: 10,000 keys took 170 ms and 50,000 took 4 s
// (37 ms as nlohmann::json), all that time stolen from every user on the hub.
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

namespace swarmlet::config {

/// `text` as a JSON document whose objects keep their keys in the order written; nothing when
/// `text` is not JSON. A key an object repeats keeps its first place and takes its last value,
/// as JavaScript's JSON.parse does. Does not bound nesting: see parse_untrusted_ordered_json.
std::optional<nlohmann::ordered_json> parse_ordered_json(std::string_view text);

}  // namespace swarmlet::config
