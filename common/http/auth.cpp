#include "auth.hpp"

#include <openssl/evp.h>

#include <optional>

#include "ascii_text.hpp"

namespace swarmlet::http {

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(bytes.data()),
                                      static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  out.resize(static_cast<std::size_t>(n));
  // EVP_DecodeBlock counts padding as zero bytes.
  for (auto it = text.rbegin(); it != text.rend() && *it == '=' && !out.empty(); ++it)
    out.pop_back();
  return out;
}

bool carries_token(const header_list& headers, std::string_view token) {
  const auto auth = headers.get("authorization");
  if (!auth) return false;
  constexpr std::string_view bearer = "Bearer ";
  constexpr std::string_view basic = "Basic ";
  // The scheme is case-insensitive (RFC 9110 11.1): "bearer T" and "basic ..." are as good.
  const auto scheme_is = [&](std::string_view scheme) {
    return equals_ignoring_case(auth->substr(0, scheme.size()), scheme);
  };
  if (scheme_is(bearer) && auth->substr(bearer.size()) == token) return true;
  if (scheme_is(basic)) {
    const auto user_pass = base64_decode(auth->substr(basic.size()));
    if (!user_pass) return false;
    const auto colon = user_pass->find(':');
    return colon != std::string::npos && std::string_view(*user_pass).substr(colon + 1) == token;
  }
  return false;
}

void add_token_challenge(header_list& headers, std::string_view realm) {
  headers.add("WWW-Authenticate", "Basic realm=\"" + std::string(realm) + "\", charset=\"UTF-8\"");
  headers.add("WWW-Authenticate", "Bearer");
}

}  // namespace swarmlet::http
