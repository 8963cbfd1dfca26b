#include "websocket_handshake.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <stdexcept>

#include "auth.hpp"

namespace swarmlet::http {
namespace {

constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

std::string base64(const unsigned char* data, std::size_t n) {
  return base64_encode(std::string_view(reinterpret_cast<const char*>(data), n));
}

/// Whether the comma-separated `list` holds `token` (any case).
bool has_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    if (equals_ignoring_case(without_spaces_around(list.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

std::string make_websocket_key() {
  unsigned char nonce[16];
  if (RAND_bytes(nonce, sizeof nonce) != 1)
    throw std::runtime_error("no randomness for a Sec-WebSocket-Key");
  return base64(nonce, sizeof nonce);
}

std::string websocket_accept_for(std::string_view key) {
  std::string joined(key);
  joined += guid;
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(joined.data()), joined.size(), digest);
  return base64(digest, sizeof digest);
}

std::string websocket_upgrade_request(std::string_view target, std::string_view authority,
                                      std::string_view key, const header_list& headers,
                                      std::string_view user_agent) {
  std::string out;
  out.reserve(256);
  out += "GET ";
  out += target.empty() ? std::string_view("/") : target;
  out += " HTTP/1.1\r\n";
  if (!headers.has("host")) {
    out += "Host: ";
    out += authority;
    out += "\r\n";
  }
  if (!headers.has("user-agent") && !user_agent.empty()) {
    out += "User-Agent: ";
    out += user_agent;
    out += "\r\n";
  }
  out += "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n";
  out += "Sec-WebSocket-Key: ";
  out += key;
  out += "\r\n";
  for (const auto& [name, value] : headers.fields()) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  out += "\r\n";
  return out;
}

std::string check_websocket_answer(const response& answer, std::string_view key,
                                   std::string_view offered) {
  if (answer.status != 101)
    return "expected 101 Switching Protocols, got " + std::to_string(answer.status) + " " +
           std::string(reason_phrase(answer.status));
  const auto upgrade = answer.headers.get("upgrade");
  if (!upgrade || !equals_ignoring_case(without_spaces_around(*upgrade), "websocket"))
    return "the answer's Upgrade header is not websocket";
  const auto connection = answer.headers.get("connection");
  if (!connection || !has_token(*connection, "upgrade"))
    return "the answer's Connection header does not say Upgrade";
  const auto accept = answer.headers.get("sec-websocket-accept");
  if (!accept) return "the answer has no Sec-WebSocket-Accept";
  if (without_spaces_around(*accept) != websocket_accept_for(key))
    return "Sec-WebSocket-Accept is wrong (not the digest of the key sent)";
  // Nothing was offered, so nothing may be in use (section 4.1, points 5 and 6).
  if (answer.headers.has("sec-websocket-extensions"))
    return "the server chose an extension (Sec-WebSocket-Extensions) that was not offered";
  if (const auto chosen = answer.headers.get("sec-websocket-protocol")) {
    if (offered.empty() || !has_token(offered, without_spaces_around(*chosen)))
      return "the server chose the subprotocol '" + std::string(without_spaces_around(*chosen)) +
             "', which was not offered";
  }
  return {};
}

}  // namespace swarmlet::http
