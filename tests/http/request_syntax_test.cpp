// What a request's line and header fields may hold: each refusal in one line that says where
// the character is and what it is, and what HTTP allows passing untouched.
#include "common/http/request_syntax.hpp"

#include <gtest/gtest.h>

#include <string>

namespace h = swarmlet::http;

namespace {

TEST(RequestSyntax, ACrOrLfInTheTargetIsRefused) {
  EXPECT_EQ(h::check_request_target("/a HTTP/1.1\r\nX-Injected: 1"),
            "request target contains CR/LF");
  EXPECT_EQ(h::check_request_target("/a\nb"), "request target contains CR/LF");
  EXPECT_EQ(h::check_request_target(std::string("/a\0b", 4)), "request target contains NUL");
  EXPECT_EQ(h::check_request_target("/a\tb"), "request target contains a control character (0x09)");
  EXPECT_EQ(h::check_request_target("/a\x7f"),
            "request target contains a control character (0x7f)");
  EXPECT_EQ(h::check_request_target("http://h/a\r\n"), "request target contains CR/LF");
}

TEST(RequestSyntax, TargetsAsPeopleWriteThemPass) {
  EXPECT_EQ(h::check_request_target("/"), "");
  EXPECT_EQ(h::check_request_target("/items?page=2&q=a%0D%0A"), "") << "percent-encoded is text";
  EXPECT_EQ(h::check_request_target("https://other:8443/a/b?c=d"), "");
  EXPECT_EQ(h::check_request_target("/caf\xc3\xa9"), "") << "UTF-8 is sent as written, as before";
  EXPECT_EQ(h::check_request_target(""), "") << "the client sends /";
}

TEST(RequestSyntax, HeaderNamesAreTokens) {
  EXPECT_EQ(h::check_header_name("X-Token"), "");
  EXPECT_EQ(h::check_header_name("x_custom.v2!#$%&'*+^`|~"), "");
  EXPECT_EQ(h::check_header_name("X-Injected: 1\r\nX-Token"), "header name contains CR/LF");
  EXPECT_EQ(h::check_header_name(std::string("X\0", 2)), "header name contains NUL");
  EXPECT_EQ(h::check_header_name("X Token"),
            "header name 'X Token' is not a token (letters, digits and !#$%&'*+-.^_`|~)");
  EXPECT_EQ(h::check_header_name("X:"),
            "header name 'X:' is not a token (letters, digits and !#$%&'*+-.^_`|~)");
  EXPECT_EQ(h::check_header_name(""), "header name is empty");
}

TEST(RequestSyntax, HeaderValuesHoldNoControlCharacterButTheTab) {
  EXPECT_EQ(h::check_header_value("X-Token", "t\r\nX-Injected: 1"),
            "header X-Token value contains CR/LF");
  EXPECT_EQ(h::check_header_value("X-Token", "t\r"), "header X-Token value contains CR/LF");
  EXPECT_EQ(h::check_header_value("X-Token", std::string("t\0", 2)),
            "header X-Token value contains NUL");
  EXPECT_EQ(h::check_header_value("X-Token", "t\x1b[0m"),
            "header X-Token value contains a control character (0x1b)");
  EXPECT_EQ(h::check_header_value("X-Token", "a\tb c: d, \"e\"; f=g"), "");
  EXPECT_EQ(h::check_header_value("X-Token", "caf\xc3\xa9"), "") << "obs-text is allowed";
  EXPECT_EQ(h::check_header_value("X-Token", ""), "");
}

TEST(RequestSyntax, ARequestIsCheckedMethodTargetThenHeadersInOrder) {
  h::request q;
  EXPECT_EQ(h::check_request(q), "");
  q.headers.add("Accept", "*/*");
  q.headers.add("X-A", "1\n");
  q.headers.add("X-B", "2\n");
  EXPECT_EQ(h::check_request(q), "header X-A value contains CR/LF");
  q.target = "/\r";
  EXPECT_EQ(h::check_request(q), "request target contains CR/LF");
  q.method = "GET / HTTP/1.1\r\n";
  EXPECT_EQ(h::check_request(q), "request method contains CR/LF");
  q.method = "";
  EXPECT_EQ(h::check_request(q), "request method is empty");
  q.method = "PURGE";
  q.target = "/";
  q.headers.clear();
  q.body = "a\r\n\r\nGET /x HTTP/1.1\r\n";
  EXPECT_EQ(h::check_request(q), "") << "a body is framed by its length, sent as it is";
  EXPECT_EQ(h::check_header_fields(q.headers), "");
}

TEST(RequestSyntax, AFramingHeaderMustAgreeWithTheBody) {
  h::request q;
  q.method = "POST";
  q.body = "rawxx";
  q.headers.add("content-length", "5");
  EXPECT_EQ(h::check_request(q), "") << "the body's own length may be given";
  q.headers.clear();
  q.headers.add("Content-Length", "2");
  EXPECT_EQ(h::check_request(q),
            "header Content-Length is '2' but the body is 5 bytes (leave Content-Length to the "
            "client)");
  q.headers.clear();
  q.headers.add("Content-Length", "5");
  q.headers.add("Content-Length", "05");
  EXPECT_NE(h::check_request(q), "") << "every Content-Length field is checked";
  q.method = "GET";
  q.body.clear();
  q.headers.clear();
  q.headers.add("Content-Length", "5");
  EXPECT_EQ(h::check_request(q),
            "header Content-Length is '5' but the body is 0 bytes (leave Content-Length to the "
            "client)")
      << "a server would wait for bytes that never come";
  q.headers.clear();
  q.headers.add("Transfer-Encoding", "chunked");
  EXPECT_EQ(h::check_request(q).rfind("header Transfer-Encoding: ", 0), 0u) << h::check_request(q);
}

}  // namespace

namespace {

TEST(RequestSyntax, ATargetIsRequotedInItsPathAndQueryOnly) {
  EXPECT_EQ(h::requoted_target("/plain?q=1"), std::nullopt) << "nothing to encode: no copy";
  EXPECT_EQ(h::requoted_target("/a b?q=x y"), "/a%20b?q=x%20y");
  EXPECT_EQ(h::requoted_target("/done%20already/{id}"), "/done%20already/%7Bid%7D");
  EXPECT_EQ(h::requoted_target("http://caf\xc3\xa9.test/a b"), "http://caf\xc3\xa9.test/a%20b")
      << "a host is no path: it is checked where the URL is parsed";
  EXPECT_EQ(h::requoted_target("ws://h:1"), std::nullopt);
  EXPECT_EQ(h::requoted_target("wss://h/\xc3\xa9"), "wss://h/%C3%A9");
}

TEST(RequestSyntax, APercentThatStartsNoEscapeIsSentEncoded) {
  EXPECT_EQ(h::requoted_target("/a%41%7e?q=%2F"), std::nullopt) << "escapes stay as written";
  EXPECT_EQ(h::requoted_target("/100%"), "/100%25");
  EXPECT_EQ(h::requoted_target("/100%?x=1"), "/100%25?x=1");
  EXPECT_EQ(h::requoted_target("/%zz/%4"), "/%25zz/%254");
  EXPECT_EQ(h::requoted_target("/%4g %41"), "/%254g%20%41");
}

}  // namespace
