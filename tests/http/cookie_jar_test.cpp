// The cookie jar as RFC 6265 section 5 has it: expiry by Max-Age and Expires (on a clock the
// test moves), deletion, paths and their default, domains and the ones refused, Secure, the
// order of sending; and a WebSocket upgrade carrying the cookies of its URL (ws and wss).
#include "common/http/cookie_jar.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "common/green/buffered_reader.hpp"
#include "common/green/green_thread.hpp"
#include "common/green/hub.hpp"
#include "common/green/operations.hpp"
#include "common/green/socket.hpp"
#include "common/green/ssl.hpp"
#include "common/http/websocket.hpp"
#include "tests/green/test_certificate.hpp"

using namespace std::chrono_literals;
namespace g = swarmlet::green;
namespace h = swarmlet::http;

namespace {

/// A jar on a clock the test moves: it starts at 2024-01-01 12:00:00 UTC.
class CookieJar : public ::testing::Test {
 protected:
  std::chrono::system_clock::time_point now_ =
      std::chrono::sys_days(std::chrono::year(2024) / 1 / 1) + 12h;
  h::cookie_jar jar_{[this] { return now_; }};

  /// What a plain-http request to `host` for `path` carries.
  std::string sent(const std::string& host, const std::string& path) const {
    return jar_.header(host, path, /*secure=*/false);
  }
};

TEST_F(CookieJar, AMaxAgeCookieIsSentUntilItsSecondsHavePassed) {
  ASSERT_TRUE(jar_.set("session=abc; Max-Age=60", "example.com", "/login"));
  EXPECT_EQ(sent("example.com", "/"), "session=abc");
  now_ += 59s;
  EXPECT_EQ(sent("example.com", "/"), "session=abc");
  now_ += 1s;
  EXPECT_EQ(sent("example.com", "/"), "");
  EXPECT_TRUE(jar_.values_for("example.com").empty());
}

TEST_F(CookieJar, AnExpiresCookieIsSentUntilItsDate) {
  jar_.set("session=abc; Expires=Mon, 01 Jan 2024 13:00:00 GMT", "example.com", "/");
  EXPECT_EQ(sent("example.com", "/"), "session=abc");
  now_ += 1h;
  EXPECT_EQ(sent("example.com", "/"), "") << "expired at 13:00:00";
}

TEST_F(CookieJar, MaxAgeWinsOverExpiresWhateverTheOrder) {
  jar_.set("a=1; Max-Age=7200; Expires=Mon, 01 Jan 2024 12:00:01 GMT", "example.com", "/");
  jar_.set("b=2; Expires=Mon, 01 Jan 2030 00:00:00 GMT; Max-Age=10", "example.com", "/");
  now_ += 1h;
  EXPECT_EQ(sent("example.com", "/"), "a=1");
}

TEST_F(CookieJar, AnExpiresThatIsNoDateIsIgnored) {
  jar_.set("session=abc; Expires=tomorrow", "example.com", "/");
  now_ += 24h * 365;
  EXPECT_EQ(sent("example.com", "/"), "session=abc") << "a session cookie, as without Expires";
}

TEST_F(CookieJar, MaxAgeZeroOrAnExpiresInThePastDeletesTheCookie) {
  jar_.set("session=abc; Path=/", "example.com", "/login");
  jar_.set("theme=dark", "example.com", "/");
  ASSERT_EQ(sent("example.com", "/"), "session=abc; theme=dark");
  EXPECT_TRUE(jar_.set("session=; Max-Age=0; Path=/", "example.com", "/logout"));
  EXPECT_EQ(sent("example.com", "/"), "theme=dark") << "deleted, not sent as session=";
  jar_.set("theme=; Expires=Thu, 01 Jan 1970 00:00:00 GMT", "example.com", "/");
  EXPECT_EQ(sent("example.com", "/"), "");
  EXPECT_TRUE(jar_.cookies().empty());
  jar_.set("a=1; Max-Age=-1", "example.com", "/");
  EXPECT_TRUE(jar_.cookies().empty()) << "a negative Max-Age is expired too";
}

TEST_F(CookieJar, ADeletionOnlyRemovesTheCookieOfItsPath) {
  jar_.set("session=abc; Path=/", "example.com", "/");
  jar_.set("session=; Max-Age=0; Path=/app", "example.com", "/app/logout");
  EXPECT_EQ(sent("example.com", "/app"), "session=abc") << "name, domain and path make the key";
}

TEST_F(CookieJar, APathLimitsTheRequestsThatCarryTheCookie) {
  jar_.set("api=1; Path=/api", "example.com", "/");
  EXPECT_EQ(sent("example.com", "/api"), "api=1");
  EXPECT_EQ(sent("example.com", "/api/items?page=2"), "api=1");
  EXPECT_EQ(sent("example.com", "/apis"), "") << "a prefix that stops mid-segment";
  EXPECT_EQ(sent("example.com", "/"), "");
  EXPECT_EQ(sent("example.com", "/API"), "") << "paths are case-sensitive";
  jar_.set("slash=1; Path=/api/", "example.com", "/");
  EXPECT_EQ(sent("example.com", "/api/x"), "slash=1; api=1");
  EXPECT_EQ(sent("example.com", "/api"), "api=1");
}

TEST_F(CookieJar, WithoutAPathTheCookieGetsTheDirectoryOfTheRequest) {
  jar_.set("a=1", "example.com", "/shop/cart/add?item=3");
  jar_.set("b=2; Path=relative", "example.com", "/shop/cart/add");
  jar_.set("c=3", "example.com", "/login");
  EXPECT_EQ(sent("example.com", "/shop/cart/view"), "a=1; b=2; c=3");
  EXPECT_EQ(sent("example.com", "/shop/other"), "c=3");
  EXPECT_EQ(h::default_path("/shop/cart/add"), "/shop/cart");
  EXPECT_EQ(h::default_path("/login"), "/");
  EXPECT_EQ(h::default_path(""), "/");
  EXPECT_EQ(h::default_path("no-slash"), "/");
}

TEST_F(CookieJar, ADomainCookieGoesToSubdomainsAndAHostOnlyOneDoesNot) {
  jar_.set("wide=1; Domain=.Example.COM", "www.example.com", "/");
  jar_.set("narrow=2", "www.example.com", "/");
  EXPECT_EQ(sent("www.example.com", "/"), "wide=1; narrow=2");
  EXPECT_EQ(sent("example.com", "/"), "wide=1");
  EXPECT_EQ(sent("api.example.com", "/"), "wide=1");
  EXPECT_EQ(sent("api.www.example.com", "/"), "wide=1") << "host-only: not below its host";
  EXPECT_EQ(sent("notexample.com", "/"), "");
  EXPECT_EQ(sent("WWW.Example.com", "/"), "wide=1; narrow=2") << "host names ignore case";
}

TEST_F(CookieJar, ACookieForAnotherDomainIsRefused) {
  EXPECT_FALSE(jar_.set("a=1; Domain=example.com", "evil.test", "/"));
  EXPECT_FALSE(jar_.set("a=1; Domain=www.example.com", "example.com", "/")) << "not above";
  EXPECT_FALSE(jar_.set("a=1; Domain=com", "example.com", "/")) << "a top-level domain";
  EXPECT_FALSE(jar_.set("a=1; Domain=0.0.1", "127.0.0.1", "/")) << "an address has no parent";
  EXPECT_TRUE(jar_.cookies().empty());
  EXPECT_TRUE(jar_.set("a=1; Domain=127.0.0.1", "127.0.0.1", "/"));
  EXPECT_TRUE(jar_.set("b=2; Domain=localhost", "localhost", "/"));
  EXPECT_EQ(sent("127.0.0.1", "/"), "a=1");
  EXPECT_EQ(sent("localhost", "/"), "b=2");
}

TEST_F(CookieJar, ASecureCookieGoesOverHttpsOnly) {
  jar_.set("token=t; Secure; HttpOnly", "example.com", "/");
  jar_.set("theme=dark", "example.com", "/");
  EXPECT_EQ(jar_.header("example.com", "/", /*secure=*/false), "theme=dark");
  EXPECT_EQ(jar_.header("example.com", "/", /*secure=*/true), "token=t; theme=dark");
  ASSERT_EQ(jar_.cookies().size(), 2u);
  EXPECT_TRUE(jar_.cookies()[0].http_only);
}

TEST_F(CookieJar, ASecureCookieSetOverPlainHttpIsIgnored) {
  // RFC 6265bis 5.6, as browsers and curl: a plain-http answer cannot plant a cookie that
  // https (and wss) requests would carry (QA: one set over http went out over wss).
  EXPECT_FALSE(jar_.set("token=t; Secure", "example.com", "/", /*secure=*/false));
  EXPECT_TRUE(jar_.set("theme=dark", "example.com", "/", /*secure=*/false));
  EXPECT_EQ(jar_.header("example.com", "/", /*secure=*/true), "theme=dark");
  EXPECT_TRUE(jar_.set("token=t; Secure", "example.com", "/", /*secure=*/true));
  EXPECT_EQ(jar_.header("example.com", "/", /*secure=*/true), "theme=dark; token=t");
}

TEST_F(CookieJar, LongerPathsGoFirstThenTheEarlierStored) {
  jar_.set("root2=b; Path=/", "example.com", "/");
  jar_.set("deep=c; Path=/a/b", "example.com", "/");
  jar_.set("root1=a; Path=/", "example.com", "/");
  jar_.set("mid=d; Path=/a", "example.com", "/");
  EXPECT_EQ(sent("example.com", "/a/b/c"), "deep=c; mid=d; root2=b; root1=a");
  jar_.set("root2=new; Path=/", "example.com", "/");
  EXPECT_EQ(sent("example.com", "/a/b/c"), "deep=c; mid=d; root2=new; root1=a")
      << "a replaced cookie keeps its creation time";
}

TEST_F(CookieJar, ACookieWithoutAnEqualsSignOrANameIsIgnored) {
  EXPECT_FALSE(jar_.set("session", "example.com", "/"));
  EXPECT_FALSE(jar_.set("=abc", "example.com", "/"));
  EXPECT_FALSE(jar_.set("  ; Path=/", "example.com", "/"));
  EXPECT_TRUE(jar_.cookies().empty());
  EXPECT_TRUE(jar_.set(" a = 1 2 ;Path=/", "example.com", "/"));
  EXPECT_EQ(sent("example.com", "/"), "a=1 2") << "spaces around the name and value go";
}

TEST_F(CookieJar, AServerCannotGrowTheJarWithoutBound) {
  // As browsers: a cookie over 4096 bytes is ignored, and past 3000 the oldest goes.
  EXPECT_FALSE(jar_.set("big=" + std::string(4094, 'x'), "h", "/"));
  EXPECT_TRUE(jar_.set("fits=" + std::string(4092, 'x'), "h", "/"));
  for (int i = 0; i < 3005; ++i) jar_.set("c" + std::to_string(i) + "=1", "h", "/");
  EXPECT_EQ(jar_.cookies().size(), 3000u);
  const std::string header = sent("h", "/");
  EXPECT_EQ(header.find("fits="), std::string::npos) << "the oldest went first";
  EXPECT_NE(header.find("c3004=1"), std::string::npos);
}

TEST_F(CookieJar, ReadsTheThreeHttpDateFormats) {
  const auto expected = std::chrono::sys_days(std::chrono::year(1994) / 11 / 6) + 8h + 49min + 37s;
  EXPECT_EQ(h::parse_cookie_date("Sun, 06 Nov 1994 08:49:37 GMT"), expected) << "IMF-fixdate";
  EXPECT_EQ(h::parse_cookie_date("Sunday, 06-Nov-94 08:49:37 GMT"), expected) << "RFC 850";
  EXPECT_EQ(h::parse_cookie_date("Sun Nov  6 08:49:37 1994"), expected) << "asctime";
  EXPECT_EQ(h::parse_cookie_date("Wed, 01-Jan-2031 00:00:00 GMT"),
            std::chrono::sys_days(std::chrono::year(2031) / 1 / 1));
  EXPECT_FALSE(h::parse_cookie_date("Sun, 31 Apr 2024 08:49:37 GMT")) << "no such day";
  EXPECT_FALSE(h::parse_cookie_date("Sun, 06 Nov 1994 24:00:00 GMT"));
  EXPECT_FALSE(h::parse_cookie_date("Sun, 06 Nov 1994"));
  EXPECT_FALSE(h::parse_cookie_date("0"));
}

/// The head of the one WebSocket upgrade `ws` sends for `target` to a peer that refuses it
/// (the Cookie header is what counts), over TLS when `tls`.
std::string upgrade_head(const std::shared_ptr<const h::cookie_jar>& jar, const std::string& target,
                         bool tls) {
  const auto cert = g::testing_support::make_test_certificate();
  auto listener = g::socket::listen("127.0.0.1", 0);
  std::string head;
  auto peer = g::spawn([&] {
    g::socket raw = listener.accept();
    auto serve = [&head](g::stream& s) {
      g::buffered_reader r(s);
      for (std::string line; !(line = r.readline()).empty() && line != "\r\n";) head += line;
      s.write_all("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
    };
    if (!tls) return serve(raw);
    auto ctx = g::tls_context::server_from_pem(cert.cert_pem, cert.key_pem);
    auto stream = g::wrap_ssl(std::move(raw), ctx, g::tls_role::server);
    serve(stream);
  });
  auto client_tls = std::make_shared<g::tls_context>(g::tls_context::client(true));
  client_tls->trust_pem(cert.cert_pem);
  h::websocket_options o;
  o.jar = jar;
  std::string error;
  const std::string base =
      std::string(tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(listener.local_port());
  h::websocket ws(*h::parse_url(base, error), o, client_tls);
  EXPECT_EQ(ws.open(target, {}).error, h::ws_error::handshake);
  peer.wait();
  return head;
}

TEST(CookieJarUpgrade, AWebSocketUpgradeCarriesTheCookiesOfItsPathAndScheme) {
  g::hub hub;
  auto jar = std::make_shared<h::cookie_jar>();
  jar->set("session=abc; Path=/", "127.0.0.1", "/login");
  jar->set("token=t; Secure; Path=/", "127.0.0.1", "/login");
  jar->set("admin=1; Path=/admin", "127.0.0.1", "/login");
  const std::string ws = upgrade_head(jar, "/chat?room=1", /*tls=*/false);
  EXPECT_NE(ws.find("\r\nCookie: session=abc\r\n"), std::string::npos) << ws;
  const std::string wss = upgrade_head(jar, "/admin/feed", /*tls=*/true);
  EXPECT_NE(wss.find("\r\nCookie: admin=1; session=abc; token=t\r\n"), std::string::npos) << wss;
}

}  // namespace
