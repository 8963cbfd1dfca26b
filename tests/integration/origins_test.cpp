// Several origins, TLS files and form bodies in `swarmlet run`: YAML and scripted users reach a
// second `swarmlet target` by absolute URLs and cross-origin redirects (each server counts what
// it saw), post forms and multipart bodies the server records byte for byte, and show nginx a
// client certificate it requires.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "target_fixture.hpp"
#include "tests/support/http_calls.hpp"
#include "tests/support/nginx_server.hpp"
#include "tests/support/process.hpp"

namespace ts = swarmlet::testing_support;

namespace {

const std::string binary = SWARMLET_BINARY;

/// Another `swarmlet target`, on a port of its own.
class second_target {
 public:
  second_target() {
    const std::string line = process_.wait_for_line("listening on");
    if (!line.empty()) url_ = ts::url_in(line);
  }
  const std::string& url() const { return url_; }
  std::map<std::string, std::uint64_t> recorded() { return recorded_at(url_); }
  static std::map<std::string, std::uint64_t> recorded_at(const std::string& url) {
    auto r = ts::run_process({"/usr/bin/curl", "-s", url + "/__swarmlet/recorded"});
    return nlohmann::json::parse(r.out)["recorded"].get<std::map<std::string, std::uint64_t>>();
  }

 private:
  ts::process process_{{binary, "target", "--port", "0", "--threads", "1"}};
  std::string url_;
};

class Origins : public ts::against_target {
 protected:
  /// Writes the scenario (target: the first target, then `body`) and `files` next to it.
  std::string write(const std::string& body, const std::map<std::string, std::string>& files) {
    const std::string file = scenario(body);
    dir_ = file.substr(0, file.rfind('/'));
    for (const auto& [name, text] : files) std::ofstream(dir_ + "/" + name) << text;
    return file;
  }
  ts::run_result run(const std::string& file, const std::string& time = "2s") {
    return ts::run_process({binary, "run", file, "--threads", "2", "-q", "-t", time, "--json",
                            dir_ + "/summary.json"});
  }
  nlohmann::json summary() { return nlohmann::json::parse(ts::read_file(dir_ + "/summary.json")); }
  static std::uint64_t requests_of(const nlohmann::json& s, const std::string& name) {
    for (const auto& r : s["requests"])
      if (r["name"] == name) return r["requests"].get<std::uint64_t>();
    return 0;
  }
  static std::string errors(const nlohmann::json& s) {
    std::string out;
    for (const auto& e : s["errors"])
      out += e["method"].get<std::string>() + " " + e["name"].get<std::string>() + ": " +
             e["error"].get<std::string>() + "\n";
    return out;
  }
  std::string dir_;
};

TEST_F(Origins, YamlUsersReachASecondOriginByUrlAndByRedirectEachServerCountingExactly) {
  second_target other;
  ASSERT_FALSE(other.url().empty());
  const std::string b = other.url();
  const auto file = write(R"(load: {users: 4, spawn_rate: 100}
users:
  - wait: {constant: 2ms}
    tasks:
      - get: /record/a
      - get: )" + b + R"(/record/b
      - {get: "/redirect-to?)" +
                              b + R"(/record/hop", name: hop}
)",
                          {});
  auto r = run(file);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const auto s = summary();
  EXPECT_EQ(s["totals"]["failures"], 0) << errors(s);
  const auto here = second_target::recorded_at(url_);
  const auto there = other.recorded();
  EXPECT_GT(requests_of(s, "/record/a"), 10u);
  EXPECT_EQ(requests_of(s, "/record/a"), here.at("/record/a"));
  // Named as written: the URL, as a Locust user sees it.
  EXPECT_EQ(requests_of(s, b + "/record/b"), there.at("/record/b"));
  EXPECT_EQ(requests_of(s, "hop"), there.at("/record/hop")) << "each redirect was followed";
  EXPECT_EQ(here.count("/record/b") + here.count("/record/hop"), 0u) << "nothing went astray";
  EXPECT_EQ(there.count("/record/a"), 0u);
  // The first target served /record/a and the redirects, nothing else.
  EXPECT_EQ(served(), here.at("/record/a") + requests_of(s, "hop"));
}

TEST_F(Origins, ATargetsPathIsThePrefixOfEveryRelativePathAsLocustsHost) {
  // --host http://h/record/api: YAML and scripted users' "/items" go to /record/api/items, and
  // are named "/items" as written (a WebSocket path is no different: websocket_test.cpp).
  const auto file = write(
      R"(load: {users: 2, spawn_rate: 100}
users:
  - name: yaml
    wait: {constant: 2ms}
    tasks: [{get: /items}]
  - name: scripted
    script: prefixed.lua
)",
      {{"prefixed.lua", R"(return {wait = 0.002, tasks = {function(u) u.http:get("/cart") end}}
)"}});
  auto r = ts::run_process({binary, "run", file, "--host", url_ + "/record/api/", "--threads", "1",
                            "-q", "-t", "2s", "--json", dir_ + "/summary.json"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const auto s = summary();
  EXPECT_EQ(s["totals"]["failures"], 0) << errors(s);
  const auto here = second_target::recorded_at(url_);
  EXPECT_GT(requests_of(s, "/items"), 0u);
  EXPECT_GT(requests_of(s, "/cart"), 0u);
  const std::map<std::string, std::uint64_t> expected{
      {"/record/api/items", requests_of(s, "/items")},
      {"/record/api/cart", requests_of(s, "/cart")}};
  EXPECT_EQ(here, expected);
}

TEST_F(Origins, ScriptedUsersReachASecondOriginAndPostForms) {
  second_target other;
  ASSERT_FALSE(other.url().empty());
  const auto file = write(R"(users: [{name: poster, script: poster.lua, wait: {constant: 2ms}}]
load: {users: 3, spawn_rate: 100}
)",
                          {{"poster.lua", R"(local other = ")" + other.url() + R"("
return {tasks = {function(u)
  u.http:get(other .. "/record/s")
  u.http:post("/record-body/form", {form = {b = "x y&z", a = u.id, c = true}, name = "form"})
  u.http:post(other .. "/record-body/mp", {name = "mp", multipart = {
    flag = false, note = "hi",
    upload = {data = "line 1\nline 2", filename = "n.txt", content_type = "text/plain"}}})
end}}
)"}});
  auto r = run(file);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const auto s = summary();
  EXPECT_EQ(s["totals"]["failures"], 0) << errors(s);
  const auto there = other.recorded();
  EXPECT_GT(requests_of(s, other.url() + "/record/s"), 5u);
  EXPECT_EQ(requests_of(s, other.url() + "/record/s"), there.at("/record/s"));
  // Forms: fields in name order, as browsers encode them.
  std::uint64_t forms = 0;
  for (const auto& [key, n] : second_target::recorded_at(url_)) {
    ASSERT_EQ(key.rfind("POST /record-body/form\napplication/x-www-form-urlencoded\na=", 0), 0u)
        << key;
    EXPECT_EQ(key.substr(key.size() - 17), "&b=x+y%26z&c=true") << key;  // a flag as k6 sends it
    forms += n;
  }
  EXPECT_EQ(forms, requests_of(s, "form"));
  std::uint64_t parts = 0;
  for (const auto& [key, n] : there) {
    if (key.rfind("POST /record-body/mp\n", 0) != 0) continue;
    const std::string type = "multipart/form-data; boundary=";
    const auto at = key.find(type);
    ASSERT_NE(at, std::string::npos) << key;
    const std::string boundary =
        key.substr(at + type.size(), key.find('\n', at) - at - type.size());
    EXPECT_EQ(key.substr(key.find('\n', at) + 1),
              "--" + boundary +
                  "\r\nContent-Disposition: form-data; name=\"flag\"\r\n\r\nfalse\r\n--" +
                  boundary + "\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n--" +
                  boundary +
                  "\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"n.txt\"\r\n"
                  "Content-Type: text/plain\r\n\r\nline 1\nline 2\r\n--" +
                  boundary + "--\r\n");
    parts += n;
  }
  EXPECT_EQ(parts, requests_of(s, "mp"));
  EXPECT_GT(parts, 5u);
}

TEST_F(Origins, YamlFormsAndMultipartFilesReachTheServerByteForByte) {
  const auto file = write(R"(load: {users: 2, spawn_rate: 100}
users:
  - wait: {constant: 2ms}
    tasks:
      - steps:
          - {post: /record-body/form, name: form, form: {user: "u${user_id}", say: "a b&c=d"}}
          - post: /record-body/mp
            name: mp
            multipart:
              title: "t${user_id}"
              doc: {file: doc.txt, content_type: text/plain}
)",
                          {{"doc.txt", "first\r\nsecond\n"}});
  auto r = run(file);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const auto s = summary();
  EXPECT_EQ(s["totals"]["failures"], 0) << errors(s);
  std::uint64_t forms = 0, parts = 0;
  for (const auto& [key, n] : second_target::recorded_at(url_)) {
    if (key.rfind("POST /record-body/form\n", 0) == 0) {
      EXPECT_TRUE(key ==
                      "POST /record-body/form\napplication/x-www-form-urlencoded\n"
                      "user=u1&say=a+b%26c%3Dd" ||
                  key ==
                      "POST /record-body/form\napplication/x-www-form-urlencoded\n"
                      "user=u2&say=a+b%26c%3Dd")
          << key;
      forms += n;
      continue;
    }
    ASSERT_EQ(key.rfind("POST /record-body/mp\nmultipart/form-data; boundary=", 0), 0u) << key;
    const auto nl = key.find('\n', 22);
    const std::string boundary = key.substr(key.find('=') + 1, nl - key.find('=') - 1);
    const std::string body = key.substr(nl + 1);
    const std::string file_part = "--" + boundary +
                                  "\r\nContent-Disposition: form-data; name=\"doc\"; "
                                  "filename=\"doc.txt\"\r\nContent-Type: text/plain\r\n\r\n"
                                  "first\r\nsecond\n\r\n--" +
                                  boundary + "--\r\n";
    EXPECT_TRUE(body == "--" + boundary +
                            "\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nt1\r\n" +
                            file_part ||
                body == "--" + boundary +
                            "\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nt2\r\n" +
                            file_part)
        << body;
    parts += n;
  }
  EXPECT_GT(forms, 5u);
  EXPECT_EQ(forms, requests_of(s, "form"));
  EXPECT_EQ(parts, requests_of(s, "mp"));
}

TEST_F(Origins, AMissingMultipartFileIsRefusedWithItsPlace) {
  const auto file = write(R"(users:
  - tasks:
      - post: /x
        multipart: {doc: {file: nowhere.txt}}
)",
                          {});
  auto r = run(file);
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("scenario.yaml:5:33: multipart file: cannot read " + dir_ + "/nowhere.txt"),
            std::string::npos)
      << r.err;
}

class ClientCertificates : public ::testing::Test {
 protected:
  // One nginx for the suite: making its certificates is most of a test's time on a busy box.
  static void SetUpTestSuite() {
    if (ts::nginx_server::available())
      nginx_ =
          std::make_unique<ts::nginx_server>(ts::nginx_options{.tls = true, .verify_client = true});
  }
  static void TearDownTestSuite() { nginx_.reset(); }
  void SetUp() override {
    if (!nginx_) GTEST_SKIP() << "nginx is not installed";
  }
  /// A scenario against nginx with `http` settings; the certificates copied next to it.
  std::string write(const std::string& http) {
    const std::string file = ts::write_temp_file(
        "scenario.yaml", "target: " + nginx_->url() + "\nhttp: " + http +
                             "\nload: {users: 2, spawn_rate: 100}\n"
                             "users: [{wait: {constant: 5ms}, tasks: [{get: /}]}]\n");
    dir_ = file.substr(0, file.rfind('/'));
    std::filesystem::create_directories(dir_ + "/tls");
    for (const auto& [from, to] : {std::pair{nginx_->ca_file(), "tls/ca.pem"},
                                   {nginx_->client_cert(), "tls/client.pem"},
                                   {nginx_->client_key(), "tls/client.key"}})
      std::filesystem::copy_file(from, dir_ + "/" + to);
    return file;
  }
  ts::run_result run(const std::string& file) {
    return ts::run_process(
        {binary, "run", file, "-q", "-t", "2s", "--json", dir_ + "/summary.json"});
  }
  nlohmann::json summary() { return nlohmann::json::parse(ts::read_file(dir_ + "/summary.json")); }
  static inline std::unique_ptr<ts::nginx_server> nginx_;
  std::string dir_;
};

TEST_F(ClientCertificates, WithTheCertificateNginxServesEveryRequest) {
  const auto file =
      write("{ca_file: tls/ca.pem, client_cert: tls/client.pem, client_key: tls/client.key}");
  const std::uint64_t before = nginx_->served();
  auto r = run(file);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const auto s = summary();
  EXPECT_EQ(s["totals"]["failures"], 0) << s["errors"].dump();
  EXPECT_GT(s["totals"]["requests"].get<std::uint64_t>(), 10u);
  EXPECT_EQ(s["totals"]["requests"].get<std::uint64_t>(), nginx_->served() - before);
}

TEST_F(ClientCertificates, WithoutItEveryRequestFailsSayingSo) {
  const auto file = write("{ca_file: tls/ca.pem}");
  auto r = run(file);
  ASSERT_EQ(r.code, 1) << r.out << r.err;
  const auto s = summary();
  EXPECT_GT(s["totals"]["requests"].get<std::uint64_t>(), 0u);
  EXPECT_EQ(s["totals"]["failures"], s["totals"]["requests"]);
  ASSERT_EQ(s["errors"].size(), 1u) << s["errors"].dump();
  // nginx finishes the handshake and answers 400, which alone does not say why.
  EXPECT_EQ(s["errors"][0]["error"],
            "HTTP 400 Bad Request (the server asked for a client certificate and none is "
            "configured: http: {client_cert, client_key})")
      << s["errors"].dump();
}

TEST_F(ClientCertificates, ServerNameIsTheNameVerified) {
  // The server's certificate names 127.0.0.1 and localhost, not other.test.
  const auto good = write(
      "{ca_file: tls/ca.pem, client_cert: tls/client.pem, client_key: tls/client.key, "
      "server_name: localhost}");
  auto r = run(good);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(summary()["totals"]["failures"], 0);
  const auto bad = write(
      "{ca_file: tls/ca.pem, client_cert: tls/client.pem, client_key: tls/client.key, "
      "server_name: other.test}");
  r = run(bad);
  ASSERT_EQ(r.code, 1) << r.out << r.err;
  const auto s = summary();
  EXPECT_EQ(s["totals"]["failures"], s["totals"]["requests"]);
  ASSERT_FALSE(s["errors"].empty());
  const std::string e = s["errors"][0]["error"];
  EXPECT_EQ(e.rfind("tls: TLS with 127.0.0.1:", 0), 0u) << e;
  EXPECT_NE(e.find("certificate verify failed"), std::string::npos) << e;
}

TEST_F(ClientCertificates, AKeyOfAnotherCertificateIsRefusedBeforeTheTest) {
  const auto file =
      write("{ca_file: tls/ca.pem, client_cert: tls/client.pem, client_key: tls/other.key}");
  ts::run_process({"/usr/bin/openssl", "genrsa", "-out", dir_ + "/tls/other.key", "2048"});
  auto r = run(file);
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("the key does not match the certificate"), std::string::npos) << r.err;
}

TEST_F(ClientCertificates, AMissingCertificateFileIsRefusedWithItsPlace) {
  const auto file =
      write("{ca_file: tls/ca.pem, client_cert: tls/none.pem, client_key: tls/client.key}");
  auto r = run(file);
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_NE(
      r.err.find("scenario.yaml:2:42: http.client_cert: cannot read " + dir_ + "/tls/none.pem"),
      std::string::npos)
      << r.err;
}

}  // namespace
