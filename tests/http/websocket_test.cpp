// The WebSocket client against a peer in this process that writes raw bytes: the handshake's
// checks, a round trip (masked frames out, fragments in, pings answered), and every way a bad
// peer fails a user: a wrong answer to the upgrade, a close in the middle of a frame, an
// oversize frame, a masked frame, a silent server. Each is a named outcome, never a hang.
#include "common/http/websocket.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "common/green/buffered_reader.hpp"
#include "common/green/clock.hpp"
#include "common/green/event.hpp"
#include "common/green/green_thread.hpp"
#include "common/green/hub.hpp"
#include "common/green/operations.hpp"
#include "common/green/socket.hpp"
#include "common/green/ssl.hpp"
#include "common/http/client.hpp"
#include "common/http/websocket_handshake.hpp"
#include "tests/green/test_certificate.hpp"

using namespace std::chrono_literals;
namespace g = swarmlet::green;
namespace h = swarmlet::http;

namespace {

TEST(WebSocketHandshake, TheAcceptIsTheDigestOfTheKeyAsInRfc6455) {
  EXPECT_EQ(h::websocket_accept_for("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  EXPECT_EQ(h::make_websocket_key().size(), 24u);
  EXPECT_NE(h::make_websocket_key(), h::make_websocket_key());
}

h::response answer(int status, const std::string& key) {
  h::response r;
  r.status = status;
  r.headers.add("Upgrade", "websocket");
  r.headers.add("Connection", "keep-alive, Upgrade");
  r.headers.add("Sec-WebSocket-Accept", h::websocket_accept_for(key));
  return r;
}

TEST(WebSocketHandshake, OnlyAValid101Passes) {
  const std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
  EXPECT_EQ(h::check_websocket_answer(answer(101, key), key, ""), "");
  EXPECT_EQ(h::check_websocket_answer(answer(200, key), key, ""),
            "expected 101 Switching Protocols, got 200 OK");
  EXPECT_EQ(h::check_websocket_answer(answer(101, "b3RoZXIga2V5IGF0IGFsbCEh"), key, ""),
            "Sec-WebSocket-Accept is wrong (not the digest of the key sent)");
  auto no_upgrade = answer(101, key);
  no_upgrade.headers = {};
  no_upgrade.headers.add("Connection", "Upgrade");
  EXPECT_EQ(h::check_websocket_answer(no_upgrade, key, ""),
            "the answer's Upgrade header is not websocket");
  auto extension = answer(101, key);
  extension.headers.add("Sec-WebSocket-Extensions", "permessage-deflate");
  EXPECT_NE(h::check_websocket_answer(extension, key, "").find("not offered"), std::string::npos);
  auto chosen = answer(101, key);
  chosen.headers.add("Sec-WebSocket-Protocol", "chat");
  EXPECT_EQ(h::check_websocket_answer(chosen, key, "superchat, chat"), "");
  EXPECT_EQ(h::check_websocket_answer(chosen, key, ""),
            "the server chose the subprotocol 'chat', which was not offered");
}

/// A server frame (unmasked): FIN and `opcode`, then `payload`.
std::string frame(std::uint8_t opcode, const std::string& payload, bool fin = true) {
  std::string f(1, static_cast<char>((fin ? 0x80 : 0) | opcode));
  if (payload.size() < 126) {
    f += static_cast<char>(payload.size());
  } else {
    f += static_cast<char>(126);
    f += static_cast<char>(payload.size() >> 8);
    f += static_cast<char>(payload.size() & 0xff);
  }
  return f + payload;
}

/// One masked frame from the client: {opcode, payload}.
std::pair<int, std::string> read_frame(g::buffered_reader& r) {
  const std::string head = r.read_exactly(2);
  EXPECT_TRUE(head[1] & 0x80) << "a client's frames are masked";
  std::uint64_t n = static_cast<std::uint8_t>(head[1]) & 0x7f;
  if (n >= 126) {
    const std::string ext = r.read_exactly(n == 126 ? 2 : 8);
    n = 0;
    for (char c : ext) n = (n << 8) | static_cast<std::uint8_t>(c);
  }
  const std::string mask = r.read_exactly(4);
  std::string payload = r.read_exactly(n);
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] ^= mask[i % 4];
  return {head[0] & 0x0f, payload};
}

/// A peer for one connection: reads the upgrade, answers it with `answer_for(key)`, then runs
/// `then` on the connection.
class raw_peer {
 public:
  using script = std::function<void(g::stream&, g::buffered_reader&)>;
  explicit raw_peer(script then, std::function<std::string(const std::string&)> answer_for = {})
      : thread_(g::spawn([this, then, answer_for] {
          g::socket c = listener_.accept();
          g::buffered_reader r(c);
          std::string key;
          for (std::string line; !(line = r.readline()).empty() && line != "\r\n";) {
            request_ += line;
            if (line.rfind("Sec-WebSocket-Key: ", 0) == 0) key = line.substr(19, line.size() - 21);
          }
          c.sendall(answer_for ? answer_for(key) : upgraded(key));
          if (then) then(c, r);
        })) {}
  ~raw_peer() {
    if (!thread_.dead()) thread_.kill();
  }
  static std::string upgraded(const std::string& key) {
    return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Accept: " +
           h::websocket_accept_for(key) + "\r\n\r\n";
  }
  h::url url() const {
    std::string error;
    return *h::parse_url("http://127.0.0.1:" + std::to_string(listener_.local_port()), error);
  }
  void wait() { thread_.wait(); }
  const std::string& request() const { return request_; }

 private:
  g::socket listener_ = g::socket::listen("127.0.0.1", 0);
  std::string request_;
  g::green_thread<void> thread_;
};

/// A wss peer for one connection: accepts it on `listener` with `cert`, answers the upgrade,
/// then runs `then` on it.
void serve_tls_upgrade(g::socket& listener, const g::testing_support::test_certificate& cert,
                       const raw_peer::script& then = {}) {
  auto ctx = g::tls_context::server_from_pem(cert.cert_pem, cert.key_pem);
  auto tls = g::wrap_ssl(listener.accept(), ctx, g::tls_role::server);
  g::buffered_reader r(tls);
  std::string key;
  for (std::string line; !(line = r.readline()).empty() && line != "\r\n";)
    if (line.rfind("Sec-WebSocket-Key: ", 0) == 0) key = line.substr(19, line.size() - 21);
  tls.write_all(raw_peer::upgraded(key));
  if (then) then(tls, r);
}

class WebSocket : public ::testing::Test {
 protected:
  h::websocket_options options() {
    h::websocket_options o;
    o.io_timeout = 5000ms;
    return o;
  }
  g::time_point soon() { return g::clock::now() + 5s; }
  g::hub hub_;
};

TEST_F(WebSocket, MessagesGoOutMaskedAndComeBackWholeWithPingsAnswered) {
  std::string pong;
  raw_peer peer([&](g::stream& s, g::buffered_reader& r) {
    auto [op, text] = read_frame(r);
    EXPECT_EQ(op, 1);
    // The echo in two fragments, a ping between them.
    s.write_all(frame(1, text.substr(0, 3), false) + frame(9, "p") + frame(0, text.substr(3)));
    auto [pong_op, pong_data] = read_frame(r);
    EXPECT_EQ(pong_op, 10);
    pong = pong_data;
    auto [close_op, close_data] = read_frame(r);
    EXPECT_EQ(close_op, 8);
    s.write_all(frame(8, close_data));
  });
  h::websocket ws(peer.url(), options());
  ASSERT_TRUE(ws.open("/chat?room=1", {}).ok());
  EXPECT_NE(peer.request().find("GET /chat?room=1 HTTP/1.1"), std::string::npos);
  ASSERT_TRUE(ws.send("hello world").ok());
  h::ws_message m;
  const auto r = ws.receive(m, soon());
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(m.data, "hello world");
  EXPECT_FALSE(m.binary);
  ws.close(1000, soon());
  peer.wait();
  EXPECT_EQ(pong, "p");
  EXPECT_FALSE(ws.is_open());
  EXPECT_EQ(ws.send("late").error, h::ws_error::not_open);
}

TEST_F(WebSocket, ATimeoutLeavesTheConnectionUsable) {
  g::event<> go;
  raw_peer peer([&](g::stream& s, g::buffered_reader&) {
    go.wait();
    s.write_all(frame(1, "late"));
  });
  h::websocket ws(peer.url(), options());
  ASSERT_TRUE(ws.open("/", {}).ok());
  h::ws_message m;
  EXPECT_EQ(ws.receive(m, g::clock::now() + 50ms).error, h::ws_error::timeout);
  go.send();
  const auto r = ws.receive(m, soon());
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(m.data, "late");
}

TEST_F(WebSocket, TheUpgradeCarriesTheCookiesOfItsHostUnlessGivenOne) {
  auto jar = std::make_shared<h::cookie_jar>();
  jar->set("session=abc; Path=/", "127.0.0.1", "/login");
  jar->set("theme=dark; Path=/", "127.0.0.1", "/login");
  jar->set("other=1; Path=/", "127.0.0.2", "/login");
  h::websocket_options o = options();
  o.jar = jar;
  raw_peer with_jar({});
  h::websocket ws(with_jar.url(), o);
  ASSERT_TRUE(ws.open("/chat", {}).ok());
  EXPECT_NE(with_jar.request().find("\r\nCookie: session=abc; theme=dark\r\n"), std::string::npos)
      << with_jar.request();
  raw_peer given({});
  h::websocket ws2(given.url(), o);
  h::header_list headers;
  headers.add("Cookie", "mine=1");
  ASSERT_TRUE(ws2.open("/chat", headers).ok());
  EXPECT_NE(given.request().find("\r\nCookie: mine=1\r\n"), std::string::npos) << given.request();
  EXPECT_EQ(given.request().find("session=abc"), std::string::npos) << given.request();
}

TEST_F(WebSocket, TheTargetsPathIsThePrefixOfARelativePath) {
  // As the HTTP client's (a base "http://h/api/" and "/chat" are "/api/chat").
  raw_peer peer({});
  h::url base = peer.url();
  base.target = "/api/";
  h::websocket ws(base, options());
  ASSERT_TRUE(ws.open("/chat?room=1", {}).ok());
  EXPECT_EQ(peer.request().rfind("GET /api/chat?room=1 HTTP/1.1\r\n", 0), 0u) << peer.request();
}

TEST_F(WebSocket, ANon101AnswerFailsTheHandshake) {
  raw_peer peer({}, [](const std::string&) {
    return "HTTP/1.1 403 Forbidden\r\nContent-Length: 4\r\n\r\nnope";
  });
  h::websocket ws(peer.url(), options());
  const auto r = ws.open("/", {});
  EXPECT_EQ(r.error, h::ws_error::handshake);
  EXPECT_EQ(r.message, "expected 101 Switching Protocols, got 403 Forbidden");
  EXPECT_EQ(ws.send("x").error, h::ws_error::handshake) << "later calls fail the same way";
}

TEST_F(WebSocket, ACloseAfterAFailedOpenSaysItNeverOpenedNotThatItWasClosed) {
  // QA: a refused upgrade, then a close: later calls said "the WebSocket was closed".
  raw_peer peer(
      {}, [](const std::string&) { return "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"; });
  h::websocket ws(peer.url(), options());
  ASSERT_EQ(ws.open("/chat", {}).error, h::ws_error::handshake);
  ws.close(4000, soon());
  const auto r = ws.send("x");
  EXPECT_EQ(r.error, h::ws_error::not_open);
  EXPECT_EQ(r.message,
            "the WebSocket never opened (handshake: expected 101 Switching Protocols, got 404 "
            "Not Found)");
}

TEST_F(WebSocket, AWrongAcceptFailsTheHandshake) {
  raw_peer peer({},
                [](const std::string&) { return raw_peer::upgraded("b3RoZXIga2V5IGF0IGFsbCEh"); });
  h::websocket ws(peer.url(), options());
  const auto r = ws.open("/", {});
  EXPECT_EQ(r.error, h::ws_error::handshake);
  EXPECT_NE(r.message.find("Sec-WebSocket-Accept is wrong"), std::string::npos) << r.message;
}

TEST_F(WebSocket, APeerThatClosesMidFrameIsAReset) {
  raw_peer peer([](g::stream& s, g::buffered_reader&) {
    s.write_all(frame(1, "whole") + frame(1, "0123456789").substr(0, 6));
    static_cast<g::socket&>(s).shutdown(SHUT_WR);
  });
  h::websocket ws(peer.url(), options());
  ASSERT_TRUE(ws.open("/", {}).ok());
  h::ws_message m;
  ASSERT_TRUE(ws.receive(m, soon()).ok()) << "what came whole is delivered first";
  EXPECT_EQ(m.data, "whole");
  const auto r = ws.receive(m, soon());
  EXPECT_EQ(r.error, h::ws_error::reset);
  EXPECT_EQ(r.message, "the connection ended in the middle of a frame");
}

TEST_F(WebSocket, APeerThatLeavesWithoutACloseFrameIsAReset) {
  raw_peer peer(
      [](g::stream& s, g::buffered_reader&) { static_cast<g::socket&>(s).shutdown(SHUT_WR); });
  h::websocket ws(peer.url(), options());
  ASSERT_TRUE(ws.open("/", {}).ok());
  h::ws_message m;
  const auto r = ws.receive(m, soon());
  EXPECT_EQ(r.error, h::ws_error::reset);
  EXPECT_EQ(r.message, "the connection ended without a close frame");
}

TEST_F(WebSocket, AnOversizeFrameFailsBeforeItsPayloadArrives) {
  raw_peer peer([](g::stream& s, g::buffered_reader&) {
    // A header announcing 4 GiB, and one byte of it: the bound is checked on the header (wslay
    // looks at a header once a byte of its payload is there), nothing is buffered.
    s.write_all(std::string("\x82\x7f\x00\x00\x00\x01\x00\x00\x00\x00x", 11));
    g::sleep(10s);
  });
  auto o = options();
  o.max_message = 1024;
  h::websocket ws(peer.url(), o);
  ASSERT_TRUE(ws.open("/", {}).ok());
  h::ws_message m;
  const auto r = ws.receive(m, soon());
  EXPECT_EQ(r.error, h::ws_error::message_too_big);
  EXPECT_NE(r.message.find("1024 bytes"), std::string::npos) << r.message;
}

TEST_F(WebSocket, AMessageInTooManyFragmentsFailsWithinMaxMessage) {
  // 1-byte fragments: wslay holds each in a block of its own, and a message within max_message
  // took a hundred times its size.
  std::string close_code;
  raw_peer peer([&](g::stream& s, g::buffered_reader& r) {
    std::string frames = frame(1, "a", false);
    for (int i = 0; i < 1100; ++i) frames += frame(0, "b", false);
    s.write_all(frames);
    auto [op, payload] = read_frame(r);
    EXPECT_EQ(op, 8);
    close_code = payload.substr(0, 2);
  });
  auto o = options();
  o.max_message = 64 * 1024;  // 1,101 bytes are within it
  h::websocket ws(peer.url(), o);
  ASSERT_TRUE(ws.open("/", {}).ok());
  h::ws_message m;
  const auto r = ws.receive(m, soon());
  EXPECT_EQ(r.error, h::ws_error::message_too_big);
  EXPECT_EQ(r.message,
            "a message in more than 1024 fragments (one per 256 bytes of the client's "
            "max_message, at least 1024: each takes more to hold than its payload)");
  peer.wait();
  EXPECT_EQ(close_code, std::string("\x03\xf1", 2)) << "closed with 1009, as for a long message";
}

TEST_F(WebSocket, AMaskedFrameFromTheServerIsAProtocolError) {
  raw_peer peer([](g::stream& s, g::buffered_reader&) {
    s.write_all(std::string("\x81\x81\x01\x02\x03\x04\x60", 7));
    g::sleep(10s);
  });
  h::websocket ws(peer.url(), options());
  ASSERT_TRUE(ws.open("/", {}).ok());
  h::ws_message m;
  EXPECT_EQ(ws.receive(m, soon()).error, h::ws_error::protocol);
}

TEST_F(WebSocket, TheServersCloseIsNamedWithItsCode) {
  raw_peer peer([](g::stream& s, g::buffered_reader& r) {
    s.write_all(frame(8, std::string("\x03\xe9", 2) + "bye"));
    EXPECT_EQ(read_frame(r).first, 8) << "the close is echoed";
  });
  h::websocket ws(peer.url(), options());
  ASSERT_TRUE(ws.open("/", {}).ok());
  h::ws_message m;
  const auto r = ws.receive(m, soon());
  EXPECT_EQ(r.error, h::ws_error::closed);
  EXPECT_EQ(r.message, "the server closed the WebSocket (1001 going away)");
  peer.wait();
}

TEST_F(WebSocket, ACloseFrameOfOneByteIsAProtocolErrorNotACloseWithoutCode) {
  // Hunt: it was read as "the server closed the WebSocket (no status code)".
  raw_peer peer([](g::stream& s, g::buffered_reader&) {
    s.write_all(frame(8, "x"));
    g::sleep(10s);
  });
  h::websocket ws(peer.url(), options());
  ASSERT_TRUE(ws.open("/", {}).ok());
  h::ws_message m;
  const auto r = ws.receive(m, soon());
  EXPECT_EQ(r.error, h::ws_error::protocol);
  EXPECT_EQ(r.message,
            "the server's close frame carries 1 byte (RFC 6455 5.5.1: none, or a 2-byte status "
            "code and a reason)");
}

TEST_F(WebSocket, HeadersOwnedByTheHandshakeAreRefused) {
  std::string error;
  h::websocket ws(*h::parse_url("http://127.0.0.1:1", error), options());
  h::header_list headers;
  headers.add("Sec-WebSocket-Key", "mine");
  EXPECT_EQ(ws.open("/", headers).error, h::ws_error::other);
}

TEST_F(WebSocket, AnUpgradeThatACrOrLfWouldSplitIsRefusedBeforeTheConnect) {
  std::string error;
  // Nothing listens on port 1: a connect would fail as connect_refused.
  h::websocket ws(*h::parse_url("http://127.0.0.1:1", error), options());
  h::header_list headers;
  headers.add("Origin", "http://h\r\nX-Injected: 1");
  auto r = ws.open("/", headers);
  EXPECT_EQ(r.error, h::ws_error::other);
  EXPECT_EQ(r.message, "header Origin value contains CR/LF");
  r = ws.open("/chat HTTP/1.1\r\nX-Injected: 1", {});
  EXPECT_EQ(r.error, h::ws_error::other);
  EXPECT_EQ(r.message, "request target contains CR/LF");
  r = ws.open("ws://127.0.0.1:1/chat\n", {});
  EXPECT_EQ(r.message, "request target contains CR/LF");
}

TEST_F(WebSocket, AnUpgradeTargetIsSentPercentEncodedAsARequestsIs) {
  // A space or a byte above 0x7f in the path went raw onto the request line.
  raw_peer peer({});
  h::websocket ws(peer.url(), options());
  ASSERT_TRUE(ws.open("/chat room/caf\xc3\xa9?q=a b&p=100%", {}).ok());
  EXPECT_EQ(peer.request().rfind("GET /chat%20room/caf%C3%A9?q=a%20b&p=100%25 HTTP/1.1\r\n", 0), 0u)
      << peer.request();
}

TEST_F(WebSocket, ATlsFailureNamesThePeerAsOverHttp) {
  // It read "TLS handshake: ...certificate verify failed" with no host.
  const auto cert = g::testing_support::make_test_certificate();
  auto listener = g::socket::listen("127.0.0.1", 0);
  auto server = g::spawn([&] {
    auto ctx = g::tls_context::server_from_pem(cert.cert_pem, cert.key_pem);
    try {
      auto tls = g::wrap_ssl(listener.accept(), ctx, g::tls_role::server);
    } catch (const std::exception&) {
    }
  });
  auto untrusting = std::make_shared<g::tls_context>(g::tls_context::client(true));
  std::string error;
  h::websocket ws(*h::parse_url("https://127.0.0.1:1", error), options(), untrusting);
  const std::string port = std::to_string(listener.local_port());
  const auto r = ws.open("wss://127.0.0.1:" + port + "/secure", {});
  EXPECT_EQ(r.error, h::ws_error::tls);
  EXPECT_EQ(r.message.rfind("TLS with 127.0.0.1:" + port + ": ", 0), 0u) << r.message;
  server.wait();
}

TEST_F(WebSocket, ATlsHandshakeThatNeverEndsFailsAtTheConnectTimeoutAndSaysSo) {
  // Never accepted: the kernel completes the TCP connect for its backlog, and no byte follows.
  auto silent = g::socket::listen("127.0.0.1", 0);
  const std::string where = "127.0.0.1:" + std::to_string(silent.local_port());
  h::websocket_options o = options();
  o.connect_timeout = 300ms;
  o.io_timeout = 20s;
  std::string error;
  h::websocket ws(*h::parse_url("https://" + where, error), o);
  const auto began = g::clock::now();
  const auto r = ws.open("/", {});
  EXPECT_LT(g::clock::now() - began, 10s) << "held to the I/O timeout, not the connect's";
  EXPECT_EQ(r.error, h::ws_error::connect_timeout) << r.message;
  EXPECT_EQ(r.message, "TLS handshake with " + where + " timed out");
}

TEST_F(WebSocket, TheServerNameIsSentAndVerifiedForTheTargetsHostAsOverHttp) {
  // The certificate names localhost and 127.0.0.1, not the target's 127.0.0.2.
  const auto cert = g::testing_support::make_test_certificate();
  auto listener = g::socket::listen("127.0.0.2", 0);
  auto server = g::spawn([&] { serve_tls_upgrade(listener, cert); });
  auto client_tls = std::make_shared<g::tls_context>(g::tls_context::client(true));
  client_tls->trust_pem(cert.cert_pem);
  h::websocket_options o = options();
  o.server_name = "localhost";
  std::string error;
  const auto target =
      *h::parse_url("https://127.0.0.2:" + std::to_string(listener.local_port()), error);
  h::websocket ws(target, o, client_tls);
  const auto r = ws.open("/secure", {});
  ASSERT_TRUE(r.ok()) << r.message;
  server.wait();
}

TEST_F(WebSocket, WssCarriesTheSameFramesOverTls) {
  const auto cert = g::testing_support::make_test_certificate();
  auto listener = g::socket::listen("127.0.0.1", 0);
  auto server = g::spawn([&] {
    serve_tls_upgrade(listener, cert, [](g::stream& tls, g::buffered_reader& r) {
      tls.write_all(frame(1, read_frame(r).second));
      read_frame(r);
      tls.write_all(frame(8, ""));
    });
  });
  auto client_tls = std::make_shared<g::tls_context>(g::tls_context::client(true));
  client_tls->trust_pem(cert.cert_pem);
  std::string error;
  h::websocket ws(*h::parse_url("https://127.0.0.1:1", error), options(), client_tls);
  ASSERT_TRUE(
      ws.open("wss://127.0.0.1:" + std::to_string(listener.local_port()) + "/secure", {}).ok());
  ASSERT_TRUE(ws.send("over tls").ok());
  h::ws_message m;
  ASSERT_TRUE(ws.receive(m, soon()).ok());
  EXPECT_EQ(m.data, "over tls");
  ws.close(1000, soon());
  server.wait();
}

}  // namespace
