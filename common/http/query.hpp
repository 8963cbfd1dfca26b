#pragma once
// A request target's path and its query string's NAME=VALUE pairs, as a server reads them.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace swarmlet::http {

/// Appends `s` to `out` percent-encoded for a query string (RFC 3986: only unreserved
/// characters stay as they are), as clients build a request target from NAME=VALUE pairs.
void append_query_escaped(std::string& out, std::string_view s);
/// The path of a request target: everything before its '?' ("/a/b" of "/a/b?x=1").
std::string_view target_path(std::string_view target) noexcept;

/// The value of the first NAME=VALUE pair named `name` in the target's query ("1" for "x" in
/// "/a?x=1&y=2"), as sent: not percent-decoded. None when the target has no query, no such
/// pair, or the pair has no '='. Views into `target`.
std::optional<std::string_view> query_value(std::string_view target,
                                            std::string_view name) noexcept;

/// The whole number that the value of query pair `name` is ("from=12" is 12); none when the
/// pair is absent (see query_value) or its value is not all decimal digits ("7x", "-1").
std::optional<std::size_t> query_number(std::string_view target, std::string_view name) noexcept;

}  // namespace swarmlet::http
