#include <signal.h>

#include <atomic>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

#include "common/config/duration.hpp"
#include "common/green/hub.hpp"
#include "common/green/operations.hpp"
#include "common/http/server.hpp"
#include "common/http/target/test_target.hpp"
#include "flag_checks.hpp"
#include "run_command.hpp"
#include "signal_watch.hpp"

namespace swarmlet::app {
namespace {

struct target_flags {
  std::string host = "127.0.0.1";
  int port = 8080;
  int threads = 1;
  std::string stall_every, stall_for;
};

int serve(const target_flags& f) {
  block_signals({SIGINT, SIGTERM});
  http::test_target target;
  if (!f.stall_every.empty() || !f.stall_for.empty()) {
    auto every = config::parse_duration(f.stall_every),
         length = config::parse_duration(f.stall_for);
    if (!every || !length || every->count() == 0 || *length >= *every) {
      std::cerr << "swarmlet target: --stall-every and --stall-for take durations, the stall "
                   "shorter than "
                   "the period (e.g. --stall-every 10s --stall-for 1s)\n";
      return 2;
    }
    target.set_stall(*every, *length);
  }
  green::hub hub(green::hub_options::from_environment());
  green::socket first;
  try {
    first = green::socket::listen(f.host, static_cast<std::uint16_t>(f.port), 4096, f.threads > 1);
  } catch (const std::exception& e) {
    std::cerr << "swarmlet target: " << e.what() << "\n";
    return 1;
  }
  const auto port = first.local_port();
  // More threads each get a listener of their own on the same port (SO_REUSEPORT).
  // They serve until the process exits.
  std::vector<std::thread> others;
  std::atomic<int> started{0};
  for (int i = 1; i < f.threads; ++i) {
    others.emplace_back([&] {
      green::hub h(green::hub_options::from_environment());
      auto l = green::socket::listen(f.host, port, 4096, true);
      started.fetch_add(1);
      http::serve_http(l, [&](const http::request& q, http::response& r) { target.handle(q, r); });
    });
  }
  while (started.load() < f.threads - 1) std::this_thread::yield();
  std::cout << "swarmlet target listening on http://" << f.host << ":" << port << std::endl;
  auto server = green::spawn([&] {
    http::serve_http(first,
                     [&](const http::request& q, http::response& r) { target.handle(q, r); });
  });
  signal_watch signals({SIGINT, SIGTERM});
  signals.wait();
  std::cerr << "swarmlet target: served " << target.served() << " requests\n";
  // The serving threads hold nothing to flush or save: end without unwinding them.
  std::_Exit(0);
}

}  // namespace

void add_target_command(CLI::App& app, int& exit_code) {
  auto f = std::make_shared<target_flags>();
  auto* cmd = app.add_subcommand("target", "Serve the built-in HTTP test target");
  cmd->add_option("--host", f->host, "Address to listen on")
      ->capture_default_str()
      ->envname("SWARMLET_TARGET_HOST");
  cmd->add_option("--port", f->port, "Port to listen on (0: any free port)")
      ->capture_default_str()
      ->envname("SWARMLET_TARGET_PORT")
      ->check(whole_number())
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--threads", f->threads, "Serving threads")
      ->capture_default_str()
      ->envname("SWARMLET_TARGET_THREADS")
      ->check(whole_number())
      ->check(CLI::Range(1, 256));
  cmd->add_option("--stall-every", f->stall_every, "Freeze every response this often (e.g. 10s)");
  cmd->add_option("--stall-for", f->stall_for,
                  "...for this long (e.g. 1s): shows coordinated omission");
  cmd->footer(
      "Endpoints (any method):\n"
      "  /                    200 \"ok\"\n"
      "  /items               {\"items\": [five items]}\n"
      "  /login               POST {\"user\": NAME}: {\"token\": \"token-NAME\"}; else 400\n"
      "  /cart                200 with 'Authorization: Bearer T', else 401\n"
      "  /delay/MS            answers after MS milliseconds (at most 60000)\n"
      "  /status/CODE         answers with CODE (100 to 599)\n"
      "  /redirect/N          N redirects (at least 1), then /\n"
      "  /redirect-to?URL     302 to URL\n"
      "  /bytes/N             a body of N bytes (at most 64 MiB)\n"
      "  /record/...          counts each target it got; /record-body/... each method, target,\n"
      "                       Content-Type and body (507 past 1,000,000 different ones)\n"
      "  /__swarmlet/served   {\"served\": requests served, these two not counted}\n"
      "  /__swarmlet/recorded {\"recorded\": {what /record/ got: times}}\n"
      "Anything else: 404.");
  add_version_flag(*cmd);
  cmd->callback([f, cmd, &exit_code] {
    refuse_empty_environment(*cmd);
    exit_code = serve(*f);
  });
}

}  // namespace swarmlet::app
