#include "runner_faces.hpp"

#include <signal.h>

#include <iostream>

#include "backdoor_commands.hpp"
#include "common/green/operations.hpp"
#include "common/http/server.hpp"
#include "common/http/url.hpp"
#include "web/ui_files.hpp"

namespace swarmlet::app {

runner_faces::~runner_faces() {
  for (auto* t : {&on_signal_, &web_, &door_server_})
    if (t->valid()) t->kill();
}

void runner_faces::quit(master::test_session& session) {
  if (!quit_.ready()) quit_.send();
  session.stop();
}

bool runner_faces::start(const test_flags& f, master::test_session& session,
                         std::function<nlohmann::json()> workers) {
  if (!start_web(f, session, workers)) return false;
  add_runner_commands(door_, session, workers);
  if (f.backdoor_port >= 0 && !start_backdoor(f.backdoor_port, door_, door_listener_, door_server_))
    return false;
  signals_ = std::make_unique<signal_watch>(std::initializer_list<int>{SIGINT, SIGTERM});
  on_signal_ = green::spawn([this, &session, &f] {
    const char* name = signals_->wait() == SIGINT ? "SIGINT" : "SIGTERM";
    interrupted_ = true;
    const bool active = session.active();
    if (f.level <= log_level::info)
      std::cerr << "swarmlet: " << name
                << (active ? ": stopping the test (interrupt again to stop without waiting for " +
                                 skipped_wait_ + ")\n"
                           : std::string(": quitting\n"));
    quit(session);
    // A test still stopping waits for its users' requests in flight (`run`; up to twice the
    // request timeout, with a target that stopped answering) or for its workers' final reports
    // (`master`): a second signal ends that wait, as k6's second Ctrl-C. With no test on, the
    // users left are ended at once.
    if (active) {
      name = signals_->wait() == SIGINT ? "SIGINT" : "SIGTERM";
      if (f.level <= log_level::info)
        std::cerr << "swarmlet: " << name << " again: not waiting for " << skipped_wait_ << "\n";
    }
    if (leave_now_) leave_now_();
  });
  return true;
}

bool runner_faces::start_web(const test_flags& f, master::test_session& session,
                             std::function<nlohmann::json()> workers) {
  if (f.no_web) return true;
  if (!http::is_loopback(f.web_host) && f.web_token.empty()) {
    std::cerr << "swarmlet: --web-host " << f.web_host
              << " is reachable from other hosts: set --web-token\n";
    return false;
  }
  try {
    web_listener_ = green::socket::listen(f.web_host, static_cast<std::uint16_t>(f.web_port));
  } catch (const std::exception& e) {
    if (f.web_port_given || f.web_ui) {
      std::cerr << "swarmlet: HTTP API: " << e.what() << "\n";
      return false;
    }
    if (f.level <= log_level::warning)
      std::cerr << "swarmlet: note: no web UI or HTTP API (" << e.what()
                << "); choose a port with --web-port\n";
    return true;
  }
  master::web_options o;
  o.bearer_token = f.web_token;
  o.ui_files = [](std::string_view path) -> std::optional<master::static_file> {
    const web::ui_file* file = web::find_ui_file(path);
    if (file == nullptr) return std::nullopt;
    return master::static_file{file->content_type, file->body};
  };
  o.quit = [this, &session] { quit(session); };
  api_ = std::make_unique<master::web_api>(session, std::move(workers), std::move(o));
  std::cout << "swarmlet: web UI, HTTP API and /metrics on http://" << f.web_host << ":"
            << web_listener_.local_port() << "/" << std::endl;
  web_ = green::spawn([this] {
    http::request_limits limits;
    limits.max_body = master::web_api::max_body;
    limits.check_head = [a = api_.get()](const http::request& head) {
      return a->refuse_before_body(head);
    };
    http::serve_http(
        web_listener_,
        [a = api_.get()](const http::request& q, http::response& r) { a->handle(q, r); }, 256,
        // A connection that brings no whole request for this long gives its place back:
        // 256 idle ones once left the API and /healthz unanswered until they closed.
        std::chrono::seconds(30), std::move(limits));
  });
  return true;
}

}  // namespace swarmlet::app
