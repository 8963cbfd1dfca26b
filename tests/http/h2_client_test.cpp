// The HTTP client over HTTP/2, against real servers: Node.js's http2 module (h2c by prior
// knowledge; it also misbehaves on request: RST_STREAM, GOAWAY, an oversize frame) and nginx
// (h2 by ALPN over TLS). Every count is the server's own.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <vector>

#include "common/green/green_thread.hpp"
#include "common/green/hub.hpp"
#include "common/green/operations.hpp"
#include "common/green/ssl.hpp"
#include "common/http/client.hpp"
#include "common/http/h2_connection.hpp"
#include "tests/green/test_certificate.hpp"
#include "tests/support/h2_peer.hpp"
#include "tests/support/nginx_server.hpp"

using namespace std::chrono_literals;
namespace g = swarmlet::green;
namespace h = swarmlet::http;
namespace ts = swarmlet::testing_support;

namespace {

h::url url_of(const std::string& text) {
  std::string error;
  return *h::parse_url(text, error);
}

h::request get(std::string target) {
  h::request r;
  r.target = std::move(target);
  return r;
}

h::client_options h2_options() {
  h::client_options o;
  o.version = h::version_choice::http2;
  return o;
}

class H2Client : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!ts::h2_peer::available()) GTEST_SKIP() << "Node.js is not installed";
    peer_ = std::make_unique<ts::h2_peer>();
  }
  g::hub hub_;
  std::unique_ptr<ts::h2_peer> peer_;
};

TEST_F(H2Client, RequestsAreStreamsOfOneConnection) {
  h::client c(url_of(peer_->url()), h2_options());
  for (int i = 0; i < 10; ++i) {
    const auto r = c.send(get("/items/" + std::to_string(i)));
    ASSERT_TRUE(r.ok()) << r.error_message;
    EXPECT_EQ(r.version, h::version::http2);
    EXPECT_EQ(r.response.status, 200);
    EXPECT_EQ(r.response.body, "ok\n");
    EXPECT_EQ(r.response.body_bytes, 3u);
    EXPECT_EQ(r.response.headers.get("content-type").value_or(""), "text/plain");
  }
  const auto n = peer_->counts();
  EXPECT_EQ(n.sessions, 1u);
  EXPECT_EQ(n.answered, 10u);
}

TEST_F(H2Client, GreenThreadsShareTheConnectionAsConcurrentStreams) {
  h::client c(url_of(peer_->url()), h2_options());
  EXPECT_TRUE(c.multiplexes());
  std::vector<g::green_thread<h::result>> requests;
  for (int i = 0; i < 12; ++i) requests.push_back(g::spawn([&c] { return c.send(get("/slow")); }));
  for (auto& t : requests) {
    const auto r = t.wait();
    ASSERT_TRUE(r.ok()) << r.error_message;
    EXPECT_EQ(r.response.body, "slow\n");
  }
  const auto n = peer_->counts();
  EXPECT_EQ(n.sessions, 1u) << "one connection for all of them";
  EXPECT_EQ(n.answered, 12u);
  EXPECT_GT(n.max_concurrent, 1u) << "the streams were open at the same time";
}

/// A plain socket that counts the writes made on it.
class counting_stream : public g::stream {
 public:
  explicit counting_stream(g::socket& s) : s_(s) {}
  std::size_t read_some(std::span<char> buffer) override { return s_.recv(buffer); }
  void write_all(std::string_view data) override {
    ++writes;
    s_.sendall(data);
  }
  int writes = 0;

 private:
  g::socket& s_;
};

/// An h2_connection to the peer with no client around it, for tests that drive its exchanges
/// directly; its writes are counted.
struct bare_connection {
  explicit bare_connection(const h::url& u)
      : socket(g::socket::connect(u.host, u.port)), io(socket), authority(u.authority()) {
    context.scheme = "http";
    context.authority = authority;
  }
  h::h2_connection::outcome send(std::string target, std::chrono::milliseconds timeout = 30s) {
    h::h2_request_context c = context;
    c.path = target;  // :path is the context's, as the client gives it
    return connection.exchange(get(target), false, c, timeout);
  }
  g::socket socket;
  counting_stream io;
  std::string authority;
  h::h2_request_context context;
  h::h2_connection connection{io, socket};
};

TEST_F(H2Client, StreamsInFlightTogetherWriteTheirRequestsTogether) {
  bare_connection c(url_of(peer_->url()));
  // Ten green threads keep ten requests in flight (h2load -m 10). The requests of the threads
  // one read wakes, and of those woken while I/O settles, go out in one write. (Node answers
  // in bursts, so a read wakes several: this fails a write per request, not a shorter wait.)
  constexpr int threads = 10, each = 30;
  std::vector<g::green_thread<int>> users;
  for (int i = 0; i < threads; ++i) {
    users.push_back(g::spawn([&] {
      int ok = 0;
      for (int j = 0; j < each; ++j) {
        const auto out = c.send("/");
        if (out.result.ok() && out.result.response.status == 200) ++ok;
      }
      return ok;
    }));
  }
  for (auto& u : users) EXPECT_EQ(u.wait(), each);
  EXPECT_EQ(peer_->counts().answered, std::uint64_t{threads * each});
  EXPECT_LE(c.io.writes, threads * each / 2)
      << "requests per write: " << static_cast<double>(threads * each) / c.io.writes;
}

TEST_F(H2Client, AWriterKilledWhileItWaitsForIoToSettleLeavesTheConnectionWorking) {
  bare_connection c(url_of(peer_->url()));
  auto slow = g::spawn([&] { return c.send("/slow"); });
  g::yield();  // its request is out, and it reads the connection
  auto killed = g::spawn([&] { return c.send("/"); });
  g::yield();  // with a stream in flight, it waits for I/O to settle before it submits
  killed.kill();
  const auto next = c.send("/");
  ASSERT_TRUE(next.result.ok()) << next.result.error_message;
  EXPECT_EQ(next.result.response.status, 200);
  const auto first = slow.wait();
  ASSERT_TRUE(first.result.ok()) << first.result.error_message;
  EXPECT_EQ(first.result.response.body, "slow\n");
  const auto n = peer_->counts();
  EXPECT_EQ(n.streams, 2u) << "the killed one never made its request";
  EXPECT_EQ(n.answered, 2u);
  EXPECT_EQ(n.sessions, 1u);
}

TEST_F(H2Client, AStreamThatOutlivesItsTimeoutSaysWhichTimeoutAndTheConnectionGoesOn) {
  h::client c(url_of(peer_->url()), h2_options());
  auto slow = get("/slow");  // answered after 1.5 s
  slow.timeout = std::chrono::milliseconds(50);
  const auto r = c.send(slow);
  EXPECT_EQ(r.error, h::error_kind::timeout);
  EXPECT_EQ(r.error_message, "no response within 50 ms (HTTP/2 stream cancelled)");
  EXPECT_EQ(r.version, h::version::http2);
  const auto next = c.send(get("/"));
  ASSERT_TRUE(next.ok()) << next.error_message;
  EXPECT_EQ(peer_->counts().sessions, 1u) << "only the stream was cancelled";
}

TEST_F(H2Client, RedirectsCookiesAndBodiesWorkAsOverHttp1) {
  h::client c(url_of(peer_->url()), h2_options());
  auto r = c.send(get("/redirect"));
  ASSERT_TRUE(r.ok()) << r.error_message;
  EXPECT_EQ(r.response.status, 200) << "the 302 was followed";
  ASSERT_TRUE(c.send(get("/cookie")).ok());
  r = c.send(get("/echo-cookie"));
  EXPECT_EQ(r.response.body, "sid=h2-session");
  h::request post;
  post.method = "POST";
  post.target = "/echo";
  post.body = std::string(100'000, 'x');  // several DATA frames
  r = c.send(post);
  ASSERT_TRUE(r.ok()) << r.error_message;
  EXPECT_EQ(r.response.body, post.body);
  h::request head = get("/");
  head.method = "HEAD";
  r = c.send(head);
  ASSERT_TRUE(r.ok()) << r.error_message;
  EXPECT_EQ(r.response.body, "");
}

TEST_F(H2Client, AHeaderThatACrOrLfWouldSplitIsRefusedBeforeItsStream) {
  // nghttp2 sends the fields it is given as they are (it checks what it receives), and this
  // peer took the value, CR and LF in it: a proxy that goes on in HTTP/1.1 would split it.
  h::client c(url_of(peer_->url()), h2_options());
  auto q = get("/items/1");
  q.headers.add("X-Token", "t\r\nX-Injected: 1");
  const auto r = c.send(q);
  EXPECT_EQ(r.error, h::error_kind::other);
  EXPECT_EQ(r.error_message, "header X-Token value contains CR/LF");
  const auto ok = c.send(get("/items/2"));
  ASSERT_TRUE(ok.ok()) << ok.error_message;
  EXPECT_EQ(peer_->counts().streams, 1u) << "only the good request opened a stream";
}

TEST_F(H2Client, ResetStreamFailsThatRequestAloneByName) {
  h::client c(url_of(peer_->url()), h2_options());
  ASSERT_TRUE(c.send(get("/")).ok());
  const auto r = c.send(get("/rst"));
  EXPECT_EQ(r.error, h::error_kind::reset);
  EXPECT_NE(r.error_message.find("RST_STREAM CANCEL"), std::string::npos) << r.error_message;
  EXPECT_TRUE(c.send(get("/")).ok());
  const auto n = peer_->counts();
  EXPECT_EQ(n.resets, 1u);
  EXPECT_EQ(n.sessions, 1u) << "a reset stream leaves its connection alone";
}

TEST_F(H2Client, ABodyBeyondWhatIsKeptFailsItsStreamAlone) {
  h::client c(url_of(peer_->url()), h2_options());
  const auto r = c.send(get("/huge"));
  EXPECT_EQ(r.error, h::error_kind::bad_response);
  EXPECT_EQ(r.error_message, h::body_too_large_message)
      << "the same message as over HTTP/1.1: one row of the errors table";
  EXPECT_TRUE(r.response.body.empty());
  EXPECT_EQ(r.response.status, 200) << "its head came";
  EXPECT_TRUE(c.send(get("/")).ok()) << "the connection goes on";
  EXPECT_EQ(peer_->counts().sessions, 1u);
}

TEST_F(H2Client, GoawayFailsTheStreamItLeftOutAndTheNextRequestReconnects) {
  h::client c(url_of(peer_->url()), h2_options());
  ASSERT_TRUE(c.send(get("/")).ok());
  const auto r = c.send(get("/goaway"));
  EXPECT_EQ(r.error, h::error_kind::reset);
  EXPECT_EQ(r.error_message,
            "the server sent GOAWAY (INTERNAL_ERROR, \"test goaway\") before processing the stream")
      << r.error_message;
  const auto next = c.send(get("/"));
  ASSERT_TRUE(next.ok()) << next.error_message;
  const auto n = peer_->counts();
  EXPECT_EQ(n.goaways, 1u);
  EXPECT_EQ(n.sessions, 2u);
  EXPECT_EQ(n.answered, 2u);
}

TEST_F(H2Client, ATimedOutStreamIsCancelledAndTheConnectionGoesOn) {
  auto o = h2_options();
  o.read_timeout = 300ms;
  h::client c(url_of(peer_->url()), o);
  auto slow = g::spawn([&c] { return c.send(get("/slow")); });
  auto quick = g::spawn([&c] { return c.send(get("/")); });
  const auto late = slow.wait();
  EXPECT_EQ(late.error, h::error_kind::timeout);
  EXPECT_NE(late.error_message.find("cancelled"), std::string::npos) << late.error_message;
  EXPECT_TRUE(quick.wait().ok());
  EXPECT_TRUE(c.send(get("/")).ok());
  EXPECT_EQ(peer_->counts().sessions, 1u);
}

TEST(H2BadPeer, AnOversizeFrameIsANamedProtocolErrorNotACrash) {
  if (!ts::h2_peer::available()) GTEST_SKIP() << "Node.js is not installed";
  g::hub hub;
  ts::h2_peer peer(ts::h2_peer_mode::oversize);
  h::client c(url_of(peer.url()), h2_options());
  const auto r = c.send(get("/"));
  EXPECT_EQ(r.error, h::error_kind::bad_response) << r.error_message;
  EXPECT_NE(r.error_message.find("FRAME_SIZE_ERROR"), std::string::npos) << r.error_message;
  // The next request tries a new connection (and fails the same way).
  EXPECT_FALSE(c.send(get("/")).ok());
  EXPECT_EQ(peer.counts().sessions, 2u);
}

TEST(H2BadPeer, HeaderFieldsBeyondTheHeaderListLimitFailTheirStreamAlone) {
  // HPACK names a field of its table again in one octet: 4 KB of frames decoded to 400 KB of
  // fields here, and 144 KB to 580 MB that held a hub thread for seconds before the limit.
  if (!ts::h2_peer::available()) GTEST_SKIP() << "Node.js is not installed";
  g::hub hub;
  ts::h2_peer peer(ts::h2_peer_mode::header_bomb);
  h::client c(url_of(peer.url()), h2_options());
  for (int i = 0; i < 2; ++i) {
    const auto r = c.send(get("/"));
    EXPECT_EQ(r.error, h::error_kind::bad_response) << i;
    EXPECT_EQ(r.error_message, h::header_list_too_large_message) << i;
    EXPECT_TRUE(r.response.headers.fields().empty()) << i << ": none of its fields kept";
  }
  const auto n = peer.counts();
  EXPECT_EQ(n.answered, 2u);
  EXPECT_EQ(n.sessions, 1u) << "the connection goes on";
  EXPECT_EQ(n.client_max_header_list, h::max_header_list) << "the server was told the limit";
}

TEST(H2BadPeer, AWholeAnswerBeforeTheBodyIsSentIsTheAnswerAndTheRestOfTheBodyIsNotSent) {
  // RFC 9113 8.1: a server may answer (a 413) before it read the body, and never open its
  // window for the rest. The answer waited for the request's timeout and failed as one.
  if (!ts::h2_peer::available()) GTEST_SKIP() << "Node.js is not installed";
  g::hub hub;
  ts::h2_peer peer(ts::h2_peer_mode::early_answer);
  auto o = h2_options();
  o.read_timeout = 60s;
  h::client c(url_of(peer.url()), o);
  h::request post = get("/upload");
  post.method = "POST";
  post.body = std::string(100'000, 'b');
  for (int i = 0; i < 2; ++i) {
    const auto r = c.send(post);
    ASSERT_TRUE(r.ok()) << i << ": " << r.error_message;
    EXPECT_EQ(r.response.status, 413) << i;
    EXPECT_EQ(r.response.body, "too large") << i;
  }
  ASSERT_TRUE(c.send(get("/")).ok()) << "the connection goes on (its RST_STREAMs go out)";
  const auto n = peer.counts();
  EXPECT_EQ(n.sessions, 1u);
  EXPECT_EQ(n.resets, 2u) << "each unsent body's stream was reset";
}

TEST(H2BadPeer, ATimeoutSaysWhetherTheResponseBeganOrTheServerAllowedNoStream) {
  // Both said "no response within", though a head had come, or the stream never could start.
  if (!ts::h2_peer::available()) GTEST_SKIP() << "Node.js is not installed";
  g::hub hub;
  auto o = h2_options();
  o.read_timeout = 200ms;
  ts::h2_peer head_only(ts::h2_peer_mode::head_only);
  const auto begun = h::client(url_of(head_only.url()), o).send(get("/"));
  EXPECT_EQ(begun.error, h::error_kind::timeout);
  EXPECT_EQ(begun.error_message,
            "the response was not complete within 200 ms (HTTP/2 stream cancelled)");
  // The first request goes out with the connection's preface, before the server's SETTINGS
  // come (it went out: no word of streams not allowed); the second waits for a stream the server
  // never allows.
  ts::h2_peer no_streams(ts::h2_peer_mode::no_streams);
  h::client c(url_of(no_streams.url()), o);
  const auto sent = c.send(get("/"));
  EXPECT_EQ(sent.error, h::error_kind::timeout);
  EXPECT_EQ(sent.error_message, "no response within 200 ms (HTTP/2 stream cancelled)");
  const auto never = c.send(get("/"));
  EXPECT_EQ(never.error, h::error_kind::timeout);
  EXPECT_EQ(never.error_message,
            "no response within 200 ms (HTTP/2 stream cancelled; the server allows no streams: "
            "SETTINGS_MAX_CONCURRENT_STREAMS 0)");
  EXPECT_EQ(no_streams.counts().streams, 1u) << "the second request never went out";
}

TEST(H2BadPeer, AStatusOf000IsNoFinalStatusAsOverHttp11NotAStreamWithoutResponse) {
  // Hunt: :status 000 read as status 0, which also means "none yet": "the HTTP/2 stream ended
  // without a response".
  if (!ts::h2_peer::available()) GTEST_SKIP() << "Node.js is not installed";
  g::hub hub;
  ts::h2_peer peer(ts::h2_peer_mode::status_000);
  const auto r = h::client(url_of(peer.url()), h2_options()).send(get("/"));
  EXPECT_EQ(r.error, h::error_kind::bad_response);
  EXPECT_EQ(r.error_message, "status 000 is not a final HTTP status (200 to 599)");
}

TEST(H2BadPeer, AServerThatAnswersInHttp11SaysSoNotSettingsExpected) {
  // h2c by prior knowledge to a server without it: nghttp2 said only "SETTINGS expected".
  g::hub hub;
  auto listener = g::socket::listen("127.0.0.1", 0);
  auto server = g::spawn([&] {
    g::socket c = listener.accept();
    char buffer[512];
    c.recv(std::span<char>(buffer, sizeof buffer));
    c.sendall(std::string_view(
        "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
  });
  h::client c(url_of("http://127.0.0.1:" + std::to_string(listener.local_port())), h2_options());
  const auto r = c.send(get("/"));
  EXPECT_EQ(r.error, h::error_kind::bad_response);
  EXPECT_EQ(r.error_message,
            "the server answered in HTTP/1.1, not HTTP/2 (a server without h2c: set "
            "http.version: \"1.1\" or auto)");
  server.wait();
}

TEST(H2BadPeer, AServerThatChoseH2ByAlpnAndAnswersInHttp11IsNotSaidToLackH2c) {
  // Hunt: over TLS the advice was that of h2c by prior knowledge ("a server without h2c"),
  // though the server had chosen h2 itself.
  g::hub hub;
  const auto cert = g::testing_support::make_test_certificate();
  auto listener = g::socket::listen("127.0.0.1", 0);
  auto server = g::spawn([&] {
    auto ctx = g::tls_context::server_from_pem(cert.cert_pem, cert.key_pem);
    SSL_CTX_set_alpn_select_cb(
        ctx.native(),
        [](SSL*, const unsigned char** out, unsigned char* out_size, const unsigned char*,
           unsigned int, void*) {
          *out = reinterpret_cast<const unsigned char*>("h2");
          *out_size = 2;
          return SSL_TLSEXT_ERR_OK;
        },
        nullptr);
    auto tls = g::wrap_ssl(listener.accept(), ctx, g::tls_role::server);
    char buffer[512];
    tls.read_some(buffer);
    tls.write_all("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  });
  h::client c(url_of("https://127.0.0.1:" + std::to_string(listener.local_port())), {},
              std::make_shared<g::tls_context>(g::tls_context::client(false)));
  const auto r = c.send(get("/"));
  EXPECT_EQ(r.error, h::error_kind::bad_response);
  EXPECT_EQ(r.error_message,
            "the server answered in HTTP/1.1, not HTTP/2, though it chose h2 by ALPN (a server or "
            "proxy that does not speak what it offers: set http.version: \"1.1\")");
  server.wait();
}

/// `threads` green threads at once, each sending `each` GETs of / on `c`: how many failed
/// (each failure also fails the test, with its message).
int failures_of_fan_out(h::client& c, int threads, int each) {
  std::vector<g::green_thread<int>> fan_out;
  for (int i = 0; i < threads; ++i)
    fan_out.push_back(g::spawn([&c, each] {
      int failed = 0;
      for (int k = 0; k < each; ++k) {
        const auto r = c.send(get("/"));
        if (!r.ok()) {
          ADD_FAILURE() << r.error_message;
          ++failed;
        }
      }
      return failed;
    }));
  int failed = 0;
  for (auto& t : fan_out) failed += t.wait();
  return failed;
}

class H2OverTls : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!ts::nginx_server::available()) GTEST_SKIP() << "Debian's nginx is not installed";
  }
  static ts::nginx_options tls(bool http2) {
    ts::nginx_options o;
    o.tls = true;
    o.http2 = http2;
    return o;
  }
  std::shared_ptr<g::tls_context> trusting(const ts::nginx_server& n) {
    return std::make_shared<g::tls_context>(g::tls_context::client(true, n.ca_file()));
  }
  g::hub hub_;
};

TEST_F(H2OverTls, AutoTakesH2WhenNginxOffersItByAlpn) {
  ts::nginx_server nginx(tls(true));
  h::client c(url_of(nginx.url()), {}, trusting(nginx));
  for (int i = 0; i < 20; ++i) {
    const auto r = c.send(get("/"));
    ASSERT_TRUE(r.ok()) << r.error_message;
    EXPECT_EQ(r.version, h::version::http2);
    EXPECT_EQ(r.response.status, 200);
  }
  std::vector<g::green_thread<h::result>> requests;
  for (int i = 0; i < 10; ++i) requests.push_back(g::spawn([&c] { return c.send(get("/x")); }));
  for (auto& t : requests) EXPECT_TRUE(t.wait().ok());
  EXPECT_EQ(nginx.served(), 30u);
}

TEST_F(H2OverTls, AStatusThatIsNoFinalHttpStatusIsABadResponseAsOverHttp11) {
  // Over HTTP/1.1 a 999 was "not a final HTTP status"; over HTTP/2, "HTTP 999 Unknown".
  auto o = tls(true);
  o.server_config = "location = /odd { return 999; }";
  ts::nginx_server nginx(o);
  h::client c(url_of(nginx.url()), {}, trusting(nginx));
  const auto r = c.send(get("/odd"));
  EXPECT_EQ(r.version, h::version::http2);
  EXPECT_EQ(r.error, h::error_kind::bad_response);
  EXPECT_EQ(r.error_message, "status 999 is not a final HTTP status (200 to 599)");
  EXPECT_TRUE(c.send(get("/")).ok()) << "the connection goes on";
}

TEST_F(H2OverTls, StreamsLeftByAGracefulGoawayAreSentAgainOnANewConnection) {
  // nginx ends a connection with GOAWAY (NO_ERROR) after 50 requests. Streams of a fan-out
  // above its last one, or still waiting to be submitted when the connection closed, never
  // reached it: sent again on a new connection, none failed.
  auto o = tls(true);
  o.server_config = "keepalive_requests 50;";
  ts::nginx_server nginx(o);
  h::client c(url_of(nginx.url()), {}, trusting(nginx));
  EXPECT_EQ(failures_of_fan_out(c, 10, 40), 0);
  EXPECT_EQ(nginx.served(), 400u);
}

TEST_F(H2OverTls, AStreamTurnedAwayByOneGracefulGoawayAfterAnotherIsSentAgainEachTime) {
  // 20 streams at once, 10 served per connection: a stream may wait through several
  // connections, none of which processed it. Go's transport sends it again each time (up to 7);
  // one resend failed some.
  auto o = tls(true);
  o.server_config = "keepalive_requests 10;";
  ts::nginx_server nginx(o);
  h::client c(url_of(nginx.url()), {}, trusting(nginx));
  EXPECT_EQ(failures_of_fan_out(c, 20, 3), 0);
  EXPECT_EQ(nginx.served(), 60u);
}

TEST_F(H2OverTls, AutoTakesHttp11FromAServerWithoutH2) {
  ts::nginx_server nginx(tls(false));
  h::client c(url_of(nginx.url()), {}, trusting(nginx));
  const auto r = c.send(get("/"));
  ASSERT_TRUE(r.ok()) << r.error_message;
  EXPECT_EQ(r.version, h::version::http1_1);
  EXPECT_FALSE(c.multiplexes());
}

TEST_F(H2OverTls, Version11StaysOnHttp11AndVersion2RequiresH2) {
  ts::nginx_server h2(tls(true));
  h::client_options v11;
  v11.version = h::version_choice::http1_1;
  h::client old(url_of(h2.url()), v11, trusting(h2));
  const auto r = old.send(get("/"));
  ASSERT_TRUE(r.ok()) << r.error_message;
  EXPECT_EQ(r.version, h::version::http1_1);

  ts::nginx_server plain(tls(false));
  h::client strict(url_of(plain.url()), h2_options(), trusting(plain));
  const auto refused = strict.send(get("/"));
  EXPECT_EQ(refused.error, h::error_kind::tls);
  EXPECT_NE(refused.error_message.find("did not agree to HTTP/2"), std::string::npos)
      << refused.error_message;
}

}  // namespace
