#pragma once
// Debian's nginx as a real peer for integration tests: started on a free loopback port in a
// temporary directory of its own, counted by its own stub_status (what a report is checked
// against), stopped and removed when the fixture goes. Plain HTTP/1.1, TLS (a self-signed
// certificate made for the test), HTTP/2 over TLS or h2c, and client-certificate checks.
#include <cstdint>
#include <memory>
#include <string>

namespace swarmlet::testing_support {

class process;

struct nginx_options {
  bool tls = false;    ///< https with a fresh self-signed certificate for 127.0.0.1 / localhost
  bool http2 = false;  ///< h2 (by ALPN with tls, by prior knowledge without)
  /// Client certificates: nginx asks for one signed by the test's own CA and refuses others.
  bool verify_client = false;
  /// Extra directives inside `server { }`, before the default `location / { return 200 }`.
  std::string server_config;
};

class nginx_server {
 public:
  /// Whether Debian's nginx is installed (tests skip with this reason otherwise).
  static bool available();

  explicit nginx_server(nginx_options options = {});
  ~nginx_server();
  nginx_server(const nginx_server&) = delete;
  nginx_server& operator=(const nginx_server&) = delete;

  /// `http://127.0.0.1:PORT` or `https://…`.
  const std::string& url() const noexcept { return url_; }
  /// Requests nginx has handled so far, not counting this fixture's own status queries.
  std::uint64_t served();
  /// Files the test can hand to a client: the CA that signed the server's certificate (and the
  /// client's), a client certificate and its key that nginx accepts (with verify_client).
  std::string ca_file() const { return dir_ + "/ca.pem"; }
  std::string client_cert() const { return dir_ + "/client.pem"; }
  std::string client_key() const { return dir_ + "/client.key"; }
  const std::string& directory() const noexcept { return dir_; }

 private:
  void make_certificates();
  std::string dir_;
  // nginx runs in the foreground as this fixture's child, so that the fixture can stop it and
  // wait for it (a daemon's workers would outlive a killed master).
  std::unique_ptr<process> nginx_;
  std::string url_;
  int status_port_ = 0;
  std::uint64_t status_queries_ = 0;
};

}  // namespace swarmlet::testing_support
