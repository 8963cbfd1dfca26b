#pragma once
// Request bodies beyond JSON, as browsers send HTML forms: application/x-www-form-urlencoded
// (key=value&...) and multipart/form-data (fields and files, RFC 7578).
#include <string>
#include <string_view>

namespace swarmlet::http {

/// Appends `key=value` to a form body (with '&' unless `out` is empty), each encoded as
/// browsers and Python's requests do: unreserved characters kept, ' ' as '+', the rest %XX.
void append_form_field(std::string& out, std::string_view key, std::string_view value);

/// One part of a multipart/form-data body: a field, or a file when it has a filename.
struct multipart_part {
  std::string_view name;
  std::string_view data;
  std::string_view filename;      ///< empty: a plain field
  std::string_view content_type;  ///< empty: none sent (a field) or application/octet-stream
};

/// Appends `part` to a multipart body whose parts are separated by `boundary`.
void append_multipart_part(std::string& out, std::string_view boundary, const multipart_part& part);
/// Appends the closing delimiter that ends a multipart body.
void end_multipart(std::string& out, std::string_view boundary);
/// The Content-Type of a multipart body separated by `boundary`.
std::string multipart_content_type(std::string_view boundary);

}  // namespace swarmlet::http
