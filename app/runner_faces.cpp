#include "runner_faces.hpp"

#include <signal.h>

#include <iostream>

#include "backdoor_commands.hpp"
#include "common/green/operations.hpp"
#include "common/http/server.hpp"

namespace swarmlet::app {

runner_faces::~runner_faces() {
  for (auto* t : {&on_signal_, &web_, &door_server_})
    if (t->valid()) t->kill();
}

bool runner_faces::start(const test_flags& f, master::test_runner& runner, std::function<nlohmann::json()> workers) {
  if (!start_web(f, runner, workers)) return false;
  add_runner_commands(door_, runner, workers);
  if (f.backdoor_port >= 0 && !start_backdoor(f.backdoor_port, door_, door_listener_, door_server_)) return false;
  signals_ = std::make_unique<signal_watch>(std::initializer_list<int>{SIGINT, SIGTERM});
  on_signal_ = green::spawn([this, &runner] {
    const int sig = signals_->wait();
    interrupted_ = true;
    std::cerr << "swarmlet: " << (sig == SIGINT ? "SIGINT" : "SIGTERM") << ": stopping the test\n";
    runner.request_stop();
  });
  return true;
}

bool runner_faces::start_web(const test_flags& f, master::test_runner& runner, std::function<nlohmann::json()> workers) {
  if (f.no_web) return true;
  const bool loopback = f.web_host.rfind("127.", 0) == 0 || f.web_host == "localhost" || f.web_host == "::1";
  if (!loopback && f.web_token.empty()) {
    std::cerr << "swarmlet: --web-host " << f.web_host << " is reachable from other hosts: set --web-token\n";
    return false;
  }
  try {
    web_listener_ = green::socket::listen(f.web_host, static_cast<std::uint16_t>(f.web_port));
  } catch (const std::exception& e) {
    if (f.web_port_given) {
      std::cerr << "swarmlet: HTTP API: " << e.what() << "\n";
      return false;
    }
    std::cerr << "swarmlet: note: no HTTP API (" << e.what() << "); choose one with --web-port\n";
    return true;
  }
  api_ = std::make_unique<master::web_api>(runner, std::move(workers), master::web_options{f.web_token});
  std::cout << "swarmlet: HTTP API and /metrics on http://" << f.web_host << ":" << web_listener_.local_port() << std::endl;
  web_ = green::spawn([this] {
    http::serve_http(web_listener_, [a = api_.get()](const http::request& q, http::response& r) { a->handle(q, r); }, 256);
  });
  return true;
}

}  // namespace swarmlet::app
