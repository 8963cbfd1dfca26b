// One client, several origins: absolute URLs, redirects across origins, a bounded set of
// connections, cookies kept per host, a Host header given by the request; and the form bodies.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/green/buffered_reader.hpp"
#include "common/green/hub.hpp"
#include "common/green/operations.hpp"
#include "common/green/socket.hpp"
#include "common/http/client.hpp"
#include "common/http/request_body.hpp"
#include "common/http/server.hpp"
#include "common/http/target/test_target.hpp"

namespace g = swarmlet::green;
namespace h = swarmlet::http;

namespace {

/// A `swarmlet target` on a port of its own, served by a green thread of the test's hub.
struct origin_server {
  h::test_target target;
  g::socket listener = g::socket::listen("127.0.0.1", 0);
  std::string url = "http://127.0.0.1:" + std::to_string(listener.local_port());
  g::green_thread<void> server = g::spawn([this] {
    h::serve_http(listener, [this](const h::request& q, h::response& r) { target.handle(q, r); });
  });
  ~origin_server() { server.kill(); }
};

/// A server that answers every request with 200 and keeps each request's head.
struct head_recorder {
  explicit head_recorder(const std::string& host = "127.0.0.1") : host(host) {}
  std::string host;
  g::socket listener = g::socket::listen(host, 0);
  std::string url = "http://" + host + ":" + std::to_string(listener.local_port());
  std::vector<std::string> heads;
  std::string reply = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  g::green_thread<void> server = g::spawn([this] {
    for (;;) {
      g::socket c = listener.accept();
      g::buffered_reader r(c);
      for (;;) {
        std::string head;
        for (std::string line; (line = r.readline()) != "\r\n";) {
          if (line.empty()) break;
          head += line;
        }
        if (head.empty()) break;
        heads.push_back(head);
        c.sendall(reply);
      }
    }
  });
  ~head_recorder() { server.kill(); }
};

h::url url_of(const std::string& text) {
  std::string error;
  return *h::parse_url(text, error);
}

h::request get(std::string target) {
  h::request r;
  r.target = std::move(target);
  return r;
}

class Origins : public ::testing::Test {
 protected:
  g::hub hub_;
};

TEST_F(Origins, PathsGoToTheBaseAndUrlsToTheirOwnOrigin) {
  origin_server a, b;
  h::client c(url_of(a.url), {});
  EXPECT_EQ(c.send(get("/record/1")).response.status, 200);
  EXPECT_EQ(c.send(get(b.url + "/record/2?x=1")).response.status, 200);
  EXPECT_EQ(c.send(get(a.url + "/record/3")).response.status, 200);
  EXPECT_EQ(c.send(get("/record/4")).response.status, 200);
  EXPECT_EQ(a.target.recorded(), (std::map<std::string, std::uint64_t>{
                                     {"/record/1", 1}, {"/record/3", 1}, {"/record/4", 1}}));
  EXPECT_EQ(b.target.recorded(), (std::map<std::string, std::uint64_t>{{"/record/2?x=1", 1}}));
  EXPECT_EQ(c.connected_version(), h::version::http1_1);
  EXPECT_EQ(c.connected_version(b.url + "/"), h::version::http1_1);
}

TEST_F(Origins, RedirectsAreFollowedToAnotherOriginAndBackWithinTheLimit) {
  origin_server a, b;
  h::client c(url_of(a.url), {});
  // a -> b's /redirect/2 -> b's /redirect/1 -> b's / (relative Locations stay on b).
  auto r = c.send(get("/redirect-to?" + b.url + "/redirect/2"));
  ASSERT_TRUE(r.ok()) << r.error_message;
  EXPECT_EQ(r.response.status, 200);
  EXPECT_EQ(a.target.served(), 1u);
  EXPECT_EQ(b.target.served(), 3u);
  h::client_options two;
  two.max_redirects = 2;
  h::client limited(url_of(a.url), two);
  const auto past = limited.send(get("/redirect-to?" + b.url + "/redirect/2"));
  EXPECT_EQ(past.response.status, 302);
  EXPECT_EQ(past.error_message, "too many redirects: more than 2 (http.max_redirects)");
}

TEST_F(Origins, CredentialsAndHostStayWithTheOriginTheyWereGivenFor) {
  origin_server a;
  head_recorder b;
  h::client c(url_of(a.url), {});
  h::request req = get("/redirect-to?" + b.url + "/next");
  req.headers.add("Authorization", "Bearer secret");
  req.headers.add("Host", "api.test");
  req.headers.add("X-Kept", "yes");
  ASSERT_EQ(c.send(req).response.status, 200);
  ASSERT_EQ(b.heads.size(), 1u);
  EXPECT_EQ(b.heads[0].find("Authorization"), std::string::npos) << b.heads[0];
  EXPECT_EQ(b.heads[0].find("api.test"), std::string::npos) << b.heads[0];
  EXPECT_NE(b.heads[0].find("X-Kept: yes"), std::string::npos) << b.heads[0];
}

TEST_F(Origins, AHostNameInAnotherCaseIsTheSameOrigin) {
  // Hunt: a redirect from localhost to LOCALHOST (RFC 3986: a host name is case-insensitive)
  // was taken for one to another server: Authorization dropped, a second connection opened.
  origin_server a;
  const std::string port = a.url.substr(a.url.rfind(':'));
  h::client c(url_of("http://localhost" + port), {});
  h::request req = get("/redirect-to?http://LOCALHOST" + port + "/cart");
  req.headers.add("Authorization", "Bearer T");
  const auto r = c.send(req);
  EXPECT_EQ(r.response.status, 200) << "the target's /cart wants the Authorization kept";
  EXPECT_EQ(a.target.served(), 2u);
}

TEST_F(Origins, ARequestsOwnCookieStaysWithItsOriginWhileTheJarsGoByTheirHost) {
  origin_server a;
  head_recorder b;  // the same host on another port: another origin, the same host to a jar
  auto jar = std::make_shared<h::cookie_jar>();
  jar->set("theme=dark; Path=/", "127.0.0.1", "/");
  h::client c(url_of(a.url), {}, nullptr, jar);
  h::request req = get("/redirect-to?" + b.url + "/next");
  req.headers.add("Cookie", "session=secret");
  req.headers.add("Proxy-Authorization", "Basic c2VjcmV0");
  ASSERT_EQ(c.send(req).response.status, 200);
  ASSERT_EQ(b.heads.size(), 1u);
  EXPECT_EQ(b.heads[0].find("session=secret"), std::string::npos) << b.heads[0];
  EXPECT_EQ(b.heads[0].find("Proxy-Authorization"), std::string::npos) << b.heads[0];
  EXPECT_NE(b.heads[0].find("\r\nCookie: theme=dark\r\n"), std::string::npos) << b.heads[0];
}

TEST_F(Origins, AHostHeaderGivenByTheRequestIsSentInsteadOfTheUrls) {
  head_recorder b;
  h::client c(url_of(b.url), {});
  h::request req = get(b.url + "/");
  req.headers.add("Host", "api.test");
  ASSERT_EQ(c.send(req).response.status, 200);
  ASSERT_EQ(c.send(get("/")).response.status, 200);
  ASSERT_EQ(b.heads.size(), 2u);
  EXPECT_NE(b.heads[0].find("Host: api.test\r\n"), std::string::npos) << b.heads[0];
  EXPECT_EQ(b.heads[0].find("Host: 127.0.0.1"), std::string::npos) << b.heads[0];
  EXPECT_NE(b.heads[1].find("Host: 127.0.0.1:"), std::string::npos) << b.heads[1];
}

TEST_F(Origins, CookiesGoBackOnlyToTheHostThatSetThem) {
  head_recorder a;
  a.reply = "HTTP/1.1 200 OK\r\nSet-Cookie: session=abc\r\nContent-Length: 0\r\n\r\n";
  head_recorder b("127.0.0.2");  // another host to a cookie jar, on the same machine
  h::client c(url_of(a.url), {});
  ASSERT_TRUE(c.send(get("/login")).ok());
  ASSERT_TRUE(c.send(get(b.url + "/other")).ok());
  ASSERT_TRUE(c.send(get("/me")).ok());
  ASSERT_EQ(a.heads.size(), 2u);
  ASSERT_EQ(b.heads.size(), 1u);
  EXPECT_NE(a.heads[1].find("Cookie: session=abc"), std::string::npos) << a.heads[1];
  EXPECT_EQ(b.heads[0].find("Cookie"), std::string::npos) << b.heads[0];
  EXPECT_EQ(c.cookies().at("session"), "abc");
}

TEST_F(Origins, ClientsGivenOneJarShareTheirCookies) {
  head_recorder a;
  a.reply = "HTTP/1.1 200 OK\r\nSet-Cookie: session=abc\r\nContent-Length: 0\r\n\r\n";
  auto jars = std::make_shared<h::cookie_jar>();
  h::client first(url_of(a.url), {}, nullptr, jars);
  h::client second(url_of(a.url), {}, nullptr, jars);  // a user's second green thread, say
  h::client alone(url_of(a.url), {});
  ASSERT_TRUE(first.send(get("/login")).ok());
  first.close();  // the recorder serves one connection at a time
  ASSERT_TRUE(second.send(get("/me")).ok());
  second.close();
  ASSERT_TRUE(alone.send(get("/me")).ok());
  ASSERT_EQ(a.heads.size(), 3u);
  EXPECT_NE(a.heads[1].find("Cookie: session=abc"), std::string::npos) << a.heads[1];
  EXPECT_EQ(a.heads[2].find("Cookie"), std::string::npos) << a.heads[2];
  EXPECT_EQ(jars->header("127.0.0.1", "/", false), "session=abc");
  EXPECT_EQ(jars->header("127.0.0.2", "/", false), "");
}

TEST_F(Origins, AQueryWithoutAPathAsksForTheRoot) {
  head_recorder a, b;
  h::client c(url_of(a.url), {});
  ASSERT_TRUE(c.send(get(b.url + "?page=2")).ok());
  ASSERT_TRUE(c.send(get(b.url + "?page=3#top")).ok());
  ASSERT_TRUE(c.send(get(b.url + "/x?y=1#z")).ok());
  ASSERT_EQ(b.heads.size(), 3u);
  EXPECT_EQ(b.heads[0].rfind("GET /?page=2 HTTP/1.1\r\n", 0), 0u) << b.heads[0];
  EXPECT_EQ(b.heads[1].rfind("GET /?page=3 HTTP/1.1\r\n", 0), 0u) << b.heads[1];
  EXPECT_EQ(b.heads[2].rfind("GET /x?y=1 HTTP/1.1\r\n", 0), 0u) << b.heads[2];
}

TEST_F(Origins, BeyondMaxOriginsTheLeastRecentlyUsedConnectionMakesRoom) {
  origin_server a, b, d;
  h::client_options two;
  two.max_origins = 2;  // the base and one other
  h::client c(url_of(a.url), two);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(c.send(get(b.url + "/record/b")).response.status, 200);
    ASSERT_EQ(c.send(get(d.url + "/record/d")).response.status, 200);
    ASSERT_EQ(c.send(get("/record/a")).response.status, 200);
  }
  EXPECT_EQ(b.target.recorded().at("/record/b"), 3u);
  EXPECT_EQ(d.target.recorded().at("/record/d"), 3u);
  EXPECT_EQ(a.target.recorded().at("/record/a"), 3u);
  // The base keeps its connection; of b and d, only the last one used is still open.
  EXPECT_EQ(c.connected_version(), h::version::http1_1);
  EXPECT_EQ(c.connected_version(b.url + "/"), h::version::none);
  EXPECT_EQ(c.connected_version(d.url + "/"), h::version::http1_1);
}

TEST_F(Origins, ABadUrlIsAFailureThatSaysSo) {
  origin_server a;
  h::client c(url_of(a.url), {});
  auto r = c.send(get("http://"));
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error_message.find("bad URL"), std::string::npos) << r.error_message;
}

TEST(RequestBody, FormFieldsAreEncodedAsBrowsersDo) {
  std::string body;
  h::append_form_field(body, "name", "Ann Lee");
  h::append_form_field(body, "q", "a&b=c/d~é");
  EXPECT_EQ(body, "name=Ann+Lee&q=a%26b%3Dc%2Fd~%C3%A9");
}

TEST(RequestBody, MultipartPartsCarryTheirNamesFilesAndTypes) {
  std::string body;
  h::append_multipart_part(body, "B", {"title", "Hi", {}, {}});
  h::append_multipart_part(body, "B", {"doc", "x\r\ny", "a \"b\".txt", {}});
  h::append_multipart_part(body, "B", {"img", "PNG", "i.png", "image/png"});
  h::end_multipart(body, "B");
  EXPECT_EQ(body,
            "--B\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nHi\r\n"
            "--B\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"a %22b%22.txt\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\nx\r\ny\r\n"
            "--B\r\nContent-Disposition: form-data; name=\"img\"; filename=\"i.png\"\r\n"
            "Content-Type: image/png\r\n\r\nPNG\r\n--B--\r\n");
  EXPECT_EQ(h::multipart_content_type("B"), "multipart/form-data; boundary=B");
}

}  // namespace
