#pragma once
// Where a redirect leads: its Location resolved against the URL of the request it answers, as
// RFC 3986 (section 5.2) resolves a reference against a base and as browsers, Python's requests
// (Locust) and Go (k6) follow it: `ok2` from /sub/rel is /sub/ok2, `//host/x` keeps the
// scheme, `../a` climbs a segment, `?page=2` keeps the path. Pure, so it is tested alone.
#include <optional>
#include <string>
#include <string_view>

namespace swarmlet::http {

/// The absolute URL that `location` leads to from the request sent to `origin`
/// ("http://host:port") for `path` (its path and query as sent); none when it leads nowhere a
/// client follows: empty, or a scheme other than http and https. A fragment is left out (it
/// is never sent); a fragment alone leads to the request's own URL. The scheme comes in lower
/// case.
std::optional<std::string> resolve_location(std::string_view origin, std::string_view path,
                                            std::string_view location);

}  // namespace swarmlet::http
