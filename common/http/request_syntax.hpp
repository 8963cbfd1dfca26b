#pragma once
// What a request's line and header fields may hold (RFC 9110, 9112): a CR or LF in a target or
// a header value would end its line on the wire, and the text after it would be read as another
// header or a second request (header injection, request smuggling). Requests that break these
// rules are refused before a byte is sent, never repaired: the text came from a scenario, a
// capture, a data cell or a script, and the test must say so. Pure checks, no I/O, so that the
// scenario loader can refuse fixed text at load time with the same rules.
#include <optional>
#include <string>
#include <string_view>

#include "http_message.hpp"

namespace swarmlet::http {

/// Empty when `method` is a token (RFC 9110's tchar: letters, digits and !#$%&'*+-.^_`|~), else
/// why not, in one line ("request method contains CR/LF").
std::string check_method(std::string_view method);

/// Empty when `target` (a path and query, or an absolute URL) may go on a request line, else
/// why not, in one line ("request target contains CR/LF"). Refuses control characters
/// (0x00-0x1f, 0x7f) only: spaces and bytes above 0x7f are percent-encoded when the request
/// is sent (requoted_target).
std::string check_request_target(std::string_view target);

/// `target` with the bytes a request line may not carry percent-encoded, as Python's requests
/// and Go's net/http send them: a space, `"<>\^`{|}` and bytes above 0x7f (`/a b` goes as
/// `/a%20b`, `/café` as `/caf%C3%A9`). What is encoded stays so; a `%` that starts no escape
/// (`/100%`, `/%zz`) goes as `%25`. Nothing when there is nothing to encode.
std::optional<std::string> requoted_target(std::string_view target);

/// Empty when `name` is a header name (a token), else why not ("header name contains CR/LF").
std::string check_header_name(std::string_view name);

/// Empty when `value` may be the value of header `name` (no control character but the tab),
/// else why not, naming the header: "header X-Token value contains CR/LF".
std::string check_header_value(std::string_view name, std::string_view value);

/// The first problem of `headers`' names and values, in order (empty: none).
std::string check_header_fields(const header_list& headers);

/// Empty when `req`'s framing headers agree with its body, else why not: a Content-Length
/// other than the body's length, or any Transfer-Encoding (the client frames a body by its
/// length, as Go's and Python's clients do).
std::string check_body_framing(const request& req);

/// The first problem of `req`'s method, target, header fields and body framing (empty: none).
/// The body itself is not looked at: it is sent as it is. One pass over each string.
std::string check_request(const request& req);

}  // namespace swarmlet::http
