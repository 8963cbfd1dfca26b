#pragma once
// The opening handshake of a WebSocket client (RFC 6455, section 4): the upgrade request and
// the checks of the server's answer. Pure functions, no I/O, so that a bad answer (not 101,
// a wrong Sec-WebSocket-Accept, an extension never offered) is tested without a peer.
#include <string>
#include <string_view>

#include "http_message.hpp"

namespace swarmlet::http {

/// A fresh Sec-WebSocket-Key: 16 random bytes, base64.
std::string make_websocket_key();

/// The Sec-WebSocket-Accept a server must answer to `key`: base64(SHA-1(key + the GUID)).
std::string websocket_accept_for(std::string_view key);

/// The upgrade request for `target` (path and query) on `authority` (the Host), with `key` and
/// the caller's `headers` (which may add Origin, Sec-WebSocket-Protocol, Authorization...;
/// those that the handshake owns are refused by the caller, not here).
std::string websocket_upgrade_request(std::string_view target, std::string_view authority,
                                      std::string_view key, const header_list& headers,
                                      std::string_view user_agent);

/// Empty when `answer` accepts the upgrade asked with `key` and `offered` (the request's
/// Sec-WebSocket-Protocol value, maybe empty), else why not, in one line:
/// "expected 101 Switching Protocols, got 200 OK", "Sec-WebSocket-Accept is wrong", ...
std::string check_websocket_answer(const response& answer, std::string_view key,
                                   std::string_view offered);

}  // namespace swarmlet::http
