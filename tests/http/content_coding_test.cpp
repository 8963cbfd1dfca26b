// Compressed bodies read decoded (common/http/content_coding): gzip (several members too),
// deflate zlib-wrapped or raw, codings in the order applied; unknown codings left as they came;
// a body that unpacks past the limit, or that is cut short or no gzip, fails with why. And a
// client reading a gzip answer gets its text while counting the bytes that came.
#include "common/http/content_coding.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

#include "common/green/buffered_reader.hpp"
#include "common/green/green_thread.hpp"
#include "common/green/hub.hpp"
#include "common/green/operations.hpp"
#include "common/green/socket.hpp"
#include "common/http/client.hpp"
#include "common/http/url.hpp"

namespace g = swarmlet::green;
namespace h = swarmlet::http;

namespace {

/// `text` compressed with zlib's `window_bits` (31: gzip, 15: zlib, -15: raw deflate).
std::string compressed(const std::string& text, int window_bits) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string out(deflateBound(&z, text.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

h::header_list encoded_as(const std::string& coding) {
  h::header_list headers;
  headers.add("Content-Type", "application/json");
  headers.add("Content-Encoding", coding);
  return headers;
}

TEST(ContentCoding, GzipAndDeflateBodiesAreDecoded) {
  const std::string json = R"({"n": 3, "items": [1, 2, 3]})";
  for (const auto& [coding, bits] :
       {std::pair{"gzip", 31}, {"x-gzip", 31}, {"GZIP", 31}, {"deflate", 15}, {"deflate", -15}}) {
    SCOPED_TRACE(std::string(coding) + " " + std::to_string(bits));
    const auto d = h::decode_content(encoded_as(coding), compressed(json, bits));
    ASSERT_TRUE(d);
    EXPECT_EQ(d->error, "");
    EXPECT_EQ(d->body, json);
  }
  // Two gzip members (cat a.gz b.gz) are one body; codings undone in the reverse order.
  const auto members =
      h::decode_content(encoded_as("gzip"), compressed("first ", 31) + compressed("second", 31));
  ASSERT_TRUE(members);
  EXPECT_EQ(members->body, "first second");
  const auto twice =
      h::decode_content(encoded_as("deflate, gzip"), compressed(compressed("inner", 15), 31));
  ASSERT_TRUE(twice);
  EXPECT_EQ(twice->body, "inner");
}

TEST(ContentCoding, BytesAfterTheLastGzipMemberThatBeginNoMemberAreLeft) {
  // Zeros a server padded with: gunzip and urllib3 (Locust's requests) leave them; the request
  // failed here as "does not decode".
  for (const std::string& trailing :
       {std::string(8, '\0'), std::string(1, '\0'), std::string("garbage")}) {
    SCOPED_TRACE(trailing.size());
    const auto d = h::decode_content(
        encoded_as("gzip"), compressed("first ", 31) + compressed("second", 31) + trailing);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->error, "");
    EXPECT_EQ(d->body, "first second");
  }
  // A later member cut short once it gave text fails as the first would (one cut within its
  // header is left, as urllib3 leaves it).
  const std::string second = compressed("second member, long enough to cut", 31);
  const auto cut = h::decode_content(
      encoded_as("gzip"), compressed("first ", 31) + second.substr(0, second.size() / 2));
  ASSERT_TRUE(cut);
  EXPECT_EQ(cut->error, "the gzip body is cut short");
}

TEST(ContentCoding, NothingToDecodeOrAnUnknownCodingLeavesTheBody) {
  EXPECT_FALSE(h::decode_content(h::header_list{}, "plain"));
  EXPECT_FALSE(h::decode_content(encoded_as("identity"), "plain"));
  EXPECT_FALSE(h::decode_content(encoded_as("br"), "\x0b\x02\x80")) << "no brotli decoder here";
}

TEST(ContentCoding, ABombACutBodyOrNoGzipFailsWithWhy) {
  const std::string zeros(10 << 20, '\0');
  const auto bomb = h::decode_content(encoded_as("gzip"), compressed(zeros, 31), 1 << 20);
  ASSERT_TRUE(bomb);
  EXPECT_EQ(bomb->error, "the gzip body decodes to over 1 MiB, the most kept");
  EXPECT_EQ(bomb->body, "");
  const std::string whole = compressed("some text that is long enough", 31);
  const auto cut = h::decode_content(encoded_as("gzip"), whole.substr(0, whole.size() / 2));
  ASSERT_TRUE(cut);
  EXPECT_EQ(cut->error, "the gzip body is cut short");
  const auto plain = h::decode_content(encoded_as("gzip"), "not gzip at all");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->error.rfind("the gzip body does not decode (", 0), 0u) << plain->error;
}

TEST(ContentCoding, AClientReadsAGzipAnswerDecodedAndCountsItsBytesOnTheWire) {
  // A test sending a browser's Accept-Encoding got gzip bytes: its JSON check failed.
  g::hub hub;
  auto listener = g::socket::listen("127.0.0.1", 0);
  const std::string body = compressed(R"({"ok": true})", 31);
  auto server = g::spawn([&] {
    g::socket c = listener.accept();
    g::buffered_reader r(c);
    while (r.readline() != "\r\n") {
    }
    c.sendall("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " +
              std::to_string(body.size()) + "\r\n\r\n" + body);
  });
  std::string error;
  h::client c(*h::parse_url("http://127.0.0.1:" + std::to_string(listener.local_port()), error),
              {});
  h::request req;
  req.headers.add("Accept-Encoding", "gzip, deflate");
  const auto r = c.send(req);
  ASSERT_TRUE(r.ok()) << r.error_message;
  EXPECT_EQ(r.response.body, R"({"ok": true})");
  EXPECT_EQ(r.response.body_bytes, body.size());
  server.wait();
}

}  // namespace
