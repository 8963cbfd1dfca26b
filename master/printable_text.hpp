#pragma once
// Text a peer's bytes may reach (a worker's id, its host name) made safe for a terminal and for
// grep: a hostile worker must not move the console's cursor or turn a log into a binary file.
#include <string>
#include <string_view>

namespace swarmlet::master {

/// `line` with control characters (C0, DEL, C1 and the bidirectional overrides) and bytes that
/// are not UTF-8 written as \xNN; other UTF-8 (a host name in Greek, a file path with accents)
/// stays as it is.
std::string printable(std::string_view line);

/// `text` with each byte that is not part of a UTF-8 character replaced by U+FFFD, as the JSON
/// report replaces it: a request name a script made of any bytes reads the same in every
/// report, and a Prometheus scrape or a CSV reader does not fail on it.
std::string valid_utf8(std::string_view text);

}  // namespace swarmlet::master
