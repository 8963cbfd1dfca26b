#include "nginx_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "tests/support/http_calls.hpp"
#include "tests/support/process.hpp"

namespace swarmlet::testing_support {
namespace {

const char* const nginx_binary = "/usr/sbin/nginx";

bool accepts(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

void openssl(std::vector<std::string> args) {
  args.insert(args.begin(), "/usr/bin/openssl");
  const auto r = run_process(args, std::chrono::seconds(60));
  if (r.code != 0) throw std::runtime_error("openssl failed: " + r.err);
}

}  // namespace

bool nginx_server::available() {
  return ::access(nginx_binary, X_OK) == 0;
}

void nginx_server::make_certificates() {
  const std::string d = dir_ + "/";
  openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
           "/CN=swarmlet test CA", "-keyout", d + "ca.key", "-out", d + "ca.pem"});
  std::ofstream(d + "server.ext") << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
  openssl({"req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout",
           d + "server.key", "-out", d + "server.csr"});
  openssl({"x509", "-req", "-in", d + "server.csr", "-CA", d + "ca.pem", "-CAkey", d + "ca.key",
           "-CAcreateserial", "-days", "2", "-extfile", d + "server.ext", "-out",
           d + "server.pem"});
  openssl({"req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=swarmlet test client", "-keyout",
           d + "client.key", "-out", d + "client.csr"});
  openssl({"x509", "-req", "-in", d + "client.csr", "-CA", d + "ca.pem", "-CAkey", d + "ca.key",
           "-CAcreateserial", "-days", "2", "-out", d + "client.pem"});
}

nginx_server::nginx_server(nginx_options options) {
  char tmpl[] = "/tmp/swarmlet-nginx-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  if (options.tls || options.verify_client) make_certificates();

  const int port = free_loopback_port();
  status_port_ = free_loopback_port();
  std::string listen = "listen 127.0.0.1:" + std::to_string(port);
  if (options.tls) listen += " ssl";
  if (options.http2) listen += " http2";
  std::string tls;
  if (options.tls) {
    tls = "ssl_certificate " + dir_ + "/server.pem; ssl_certificate_key " + dir_ + "/server.key;\n";
  }
  if (options.verify_client) {
    tls += "ssl_client_certificate " + dir_ + "/ca.pem; ssl_verify_client on;\n";
  }
  // Root may start nginx; its workers then run as root too, so that they can use this
  // fixture's private directory for request bodies.
  const std::string user = ::geteuid() == 0 ? "user root root;\n" : "";
  std::ofstream(dir_ + "/nginx.conf")
      << user << "daemon off; worker_processes 1; pid " << dir_ << "/nginx.pid;\n"
      << "error_log " << dir_ << "/error.log;\n"
      << "events { worker_connections 4096; }\n"
      << "http { access_log off; keepalive_requests 1000000; keepalive_timeout 120;\n"
      << "  client_body_temp_path " << dir_ << "/body; proxy_temp_path " << dir_
      << "/proxy;\n  fastcgi_temp_path " << dir_ << "/fastcgi; uwsgi_temp_path " << dir_
      << "/uwsgi; scgi_temp_path " << dir_ << "/scgi;\n"
      << "  server { listen 127.0.0.1:" << status_port_
      << "; location = /status { stub_status; } }\n"
      << "  server { " << listen << ";\n"
      << tls << options.server_config << "\n"
      << "    location / { return 200 \"ok\\n\"; } } }\n";

  nginx_ = std::make_unique<process>(std::vector<std::string>{
      nginx_binary, "-p", dir_, "-e", dir_ + "/error.log", "-c", dir_ + "/nginx.conf"});
  // nginx opens its listening sockets before it serves; wait for the event that matters, the
  // test's port accepting, or for nginx to fail.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!accepts(port) || !accepts(status_port_)) {
    if (::kill(nginx_->pid(), 0) != 0 || std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("nginx did not start: " + read_file(dir_ + "/error.log") +
                               nginx_->err());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  url_ = std::string(options.tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port);
}

nginx_server::~nginx_server() {
  if (nginx_) {
    nginx_->signal(SIGTERM);  // nginx's fast shutdown: the master stops its workers, then exits
    nginx_->wait(std::chrono::seconds(20));
    nginx_.reset();
  }
  run_process({"/bin/rm", "-rf", dir_});
}

std::uint64_t nginx_server::served() {
  // stub_status counts every request nginx has read, this query and the earlier ones included.
  const auto r = http_call("GET", "http://127.0.0.1:" + std::to_string(status_port_) + "/status");
  if (r.status != 200) throw std::runtime_error("nginx's stub_status did not answer");
  ++status_queries_;
  // "Active connections: 1 \nserver accepts handled requests\n 1 1 1 \nReading: …"
  const auto numbers = r.body.find('\n', r.body.find("requests"));
  std::uint64_t accepted = 0, handled = 0, requests = 0;
  if (std::sscanf(r.body.c_str() + numbers, " %lu %lu %lu", &accepted, &handled, &requests) != 3) {
    throw std::runtime_error("unexpected stub_status answer: " + r.body);
  }
  return requests - status_queries_;
}

}  // namespace swarmlet::testing_support
