#pragma once
// A shared secret in the Authorization header (RFC 6750 bearer token, or RFC 7617 basic auth
// with the secret as the password, which is what a browser asks its user for), and the challenge
// that makes a browser ask.
#include <optional>
#include <string>
#include <string_view>

#include "http_message.hpp"

namespace swarmlet::http {

/// Whether `headers` carry `token` as "Authorization: Bearer TOKEN", or as the password of
/// "Authorization: Basic base64(USER:TOKEN)" (any user). False when there is no Authorization
/// field, its scheme is neither, or its base64 is malformed. An empty `token` is matched like any
/// other: whether no token means "open" is the caller's decision.
bool carries_token(const header_list& headers, std::string_view token);

/// Adds the WWW-Authenticate fields a 401 answer carries so that a browser asks for a password
/// (basic auth in `realm`, UTF-8) and an API client learns that a bearer token is accepted.
void add_token_challenge(header_list& headers, std::string_view realm);

/// Standard base64 of `bytes`, with its '=' padding.
std::string base64_encode(std::string_view bytes);
/// Decodes standard base64 (with its '=' padding); none when `text` is not base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace swarmlet::http
