#include "redirect_location.hpp"

#include <cctype>

#include "ascii_text.hpp"

namespace swarmlet::http {
namespace {

/// RFC 3986 5.2.4: `/a/b/../c/./d` is `/a/c/d`. `path` starts with '/'.
std::string remove_dot_segments(std::string_view path) {
  std::string out;
  while (!path.empty()) {
    if (path.rfind("/./", 0) == 0) {
      path.remove_prefix(2);
    } else if (path == "/.") {
      path = "/";
    } else if (path.rfind("/../", 0) == 0 || path == "/..") {
      path = path.size() == 3 ? std::string_view("/") : path.substr(3);
      const auto cut = out.rfind('/');
      out.erase(cut == std::string::npos ? 0 : cut);
    } else {
      const auto next = path.find('/', 1);
      out += path.substr(0, next);
      path = next == std::string_view::npos ? std::string_view() : path.substr(next);
    }
  }
  return out.empty() ? "/" : out;
}

/// `reference`'s path (up to its query) with dot segments resolved, and its query as it was.
std::string normalized(std::string_view reference) {
  const auto query = reference.find('?');
  return remove_dot_segments(reference.substr(0, query)) +
         std::string(query == std::string_view::npos ? "" : reference.substr(query));
}

/// Whether `s` begins with a URI scheme and its ':' ("ftp:", "mailto:"); a path such as
/// "a/b:c" has a '/' before its ':'.
bool has_scheme(std::string_view s) {
  const auto colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 ||
      !std::isalpha(static_cast<unsigned char>(s[0])))
    return false;
  for (std::size_t i = 1; i < colon; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (!std::isalnum(c) && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> resolve_location(std::string_view origin, std::string_view path,
                                            std::string_view location) {
  while (!location.empty() && (location.front() == ' ' || location.front() == '\t'))
    location.remove_prefix(1);
  while (!location.empty() && (location.back() == ' ' || location.back() == '\t'))
    location.remove_suffix(1);
  if (location.empty()) return std::nullopt;
  // "#top" alone is the request's own URL (RFC 3986 5.4's "#s"); a fragment is never sent.
  if (location.front() == '#') return std::string(origin) + std::string(path.empty() ? "/" : path);
  location = location.substr(0, location.find('#'));
  if (has_scheme(location)) {
    const auto colon = location.find(':');
    const std::string scheme = ascii_lowercase(location.substr(0, colon));
    if (scheme != "http" && scheme != "https") return std::nullopt;
    // The scheme in lower case: the client tells an absolute target by "http://" and
    // "https://", and "HTTP://other/x" went to the first origin as a path.
    return scheme + std::string(location.substr(colon));
  }
  const std::string_view scheme = origin.substr(0, origin.find(':'));
  if (location.rfind("//", 0) == 0) return std::string(scheme) + ":" + std::string(location);
  if (location.front() == '/') return std::string(origin) + normalized(location);
  const std::string_view base_path = path.substr(0, path.find('?'));
  if (location.front() == '?')
    return std::string(origin) + std::string(base_path.empty() ? "/" : base_path) +
           std::string(location);
  // A relative path replaces the base's last segment.
  const auto slash = base_path.rfind('/');
  const std::string directory =
      slash == std::string_view::npos ? "/" : std::string(base_path.substr(0, slash + 1));
  return std::string(origin) + normalized(directory + std::string(location));
}

}  // namespace swarmlet::http
