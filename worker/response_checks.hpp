#pragma once
// A request's checks and captures applied to its response. Messages name the check, not the
// response (no timings, values cut short), so failures group by cause in the reports.
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/config/checks.hpp"
#include "common/http/client.hpp"

namespace swarmlet::worker {

/// Empty when `r` passes every check of `check`, else why the first one that failed did.
/// `body_json`: the parsed body, its keys in the order sent (null when it is not JSON or nothing
/// asked for it); `buffer` serves the regular expressions.
std::string first_failed_check(const config::check_spec& check, const http::result& r,
                               const nlohmann::ordered_json* body_json,
                               config::regex_match_buffer& buffer);

/// Sets the variable of each capture in `values`. A capture that finds nothing sets "" when
/// optional; otherwise the first one's message is returned ("capture token: nothing matched
/// $.token") and its variable keeps its previous value. Empty when every capture was made. A
/// JSON capture of an object or an array is its JSON text, the keys in `body_json`'s order.
std::string apply_captures(const std::vector<config::capture_spec>& captures, const http::result& r,
                           const nlohmann::ordered_json* body_json,
                           config::regex_match_buffer& buffer,
                           std::unordered_map<std::string, std::string>& values);

}  // namespace swarmlet::worker
