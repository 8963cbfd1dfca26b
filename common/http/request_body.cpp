#include "request_body.hpp"

namespace swarmlet::http {
namespace {

void append_form_escaped(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += ch;
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
}

/// A name or filename inside a quoted Content-Disposition parameter: quotes and line breaks
/// escaped as browsers do (RFC 7578 4.2 leaves it to them; WHATWG HTML says %22, %0D, %0A).
void append_quoted(std::string& out, std::string_view s) {
  out += '"';
  for (const char c : s) {
    if (c == '"') {
      out += "%22";
    } else if (c == '\r') {
      out += "%0D";
    } else if (c == '\n') {
      out += "%0A";
    } else {
      out += c;
    }
  }
  out += '"';
}

}  // namespace

void append_form_field(std::string& out, std::string_view key, std::string_view value) {
  if (!out.empty()) out += '&';
  append_form_escaped(out, key);
  out += '=';
  append_form_escaped(out, value);
}

void append_multipart_part(std::string& out, std::string_view boundary,
                           const multipart_part& part) {
  out += "--";
  out += boundary;
  out += "\r\nContent-Disposition: form-data; name=";
  append_quoted(out, part.name);
  if (!part.filename.empty()) {
    out += "; filename=";
    append_quoted(out, part.filename);
  }
  out += "\r\n";
  if (!part.content_type.empty() || !part.filename.empty()) {
    out += "Content-Type: ";
    out += part.content_type.empty() ? std::string_view("application/octet-stream")
                                     : part.content_type;
    out += "\r\n";
  }
  out += "\r\n";
  out += part.data;
  out += "\r\n";
}

void end_multipart(std::string& out, std::string_view boundary) {
  out += "--";
  out += boundary;
  out += "--\r\n";
}

std::string multipart_content_type(std::string_view boundary) {
  return "multipart/form-data; boundary=" + std::string(boundary);
}

}  // namespace swarmlet::http
