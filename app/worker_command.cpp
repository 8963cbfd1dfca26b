#include <signal.h>

#include <iostream>
#include <memory>
#include <thread>

#include "backdoor_commands.hpp"
#include "common/green/clock_source.hpp"
#include "common/green/hub.hpp"
#include "common/green/operations.hpp"
#include "common/http/server.hpp"
#include "flag_checks.hpp"
#include "proto/zmq_transport.hpp"
#include "run_command.hpp"
#include "signal_watch.hpp"
#include "worker/health.hpp"
#include "worker/master_link.hpp"
#include "worker/runtime.hpp"

namespace swarmlet::app {
namespace {

struct worker_flags {
  std::string master;  // required: checked in serve(), to name SWARMLET_MASTER too
  int stats_port = 0;
  int threads = 0;
  std::string id;
  int report_interval_ms = 1000;
  int backdoor_port = -1;
  int health_port = -1;
  std::string health_host = "0.0.0.0";
  std::string master_key;  // the master's public key, or a file with it
  std::string curve_key;   // this worker's key file
  log_level level = log_level::info;
};

int serve(const worker_flags& f) {
  block_signals({SIGINT, SIGTERM});
  // CLI11's "--master is required" did not say that the variable serves as well.
  if (f.master.empty()) {
    std::cerr << "swarmlet: --master (or SWARMLET_MASTER) is required: the master's HOST[:PORT] "
                 "(see --help)\n";
    return 2;
  }
  master_address master;
  try {
    master = master_address_from(f.master);
  } catch (const std::invalid_argument& e) {
    std::cerr << "swarmlet worker: " << e.what() << "\n";
    return 2;
  }
  const std::string& host = master.host;
  const int port = master.port;
  green::hub hub(green::hub_options::from_environment());
  zmq::context_t context;
  proto::zmq_worker_options to;
  to.control_endpoint = "tcp://" + host + ":" + std::to_string(port);
  if (f.stats_port != 0) to.stats_endpoint = "tcp://" + host + ":" + std::to_string(f.stats_port);
  to.worker_id = f.id.empty() ? worker::make_worker_id() : f.id;
  if (!f.master_key.empty()) {
    try {
      to.curve =
          proto::curve_client_keys{proto::public_key_from(f.master_key),
                                   f.curve_key.empty() ? proto::generate_curve_keypair()
                                                       : proto::read_curve_keypair(f.curve_key)};
    } catch (const proto::key_error& e) {
      std::cerr << "swarmlet worker: " << e.what() << "\n";
      return 2;
    }
  } else if (!f.curve_key.empty()) {
    std::cerr << "swarmlet worker: --curve-key needs --master-key (the master's public key)\n";
    return 2;
  }
  std::unique_ptr<proto::zmq_worker_transport> transport;
  try {
    transport = std::make_unique<proto::zmq_worker_transport>(context, to);
  } catch (const zmq::error_t& e) {
    std::cerr << "swarmlet worker: cannot connect to " << to.control_endpoint << ": " << e.what()
              << "\n";
    return 2;
  }
  worker::master_link_options o;
  o.worker_id = to.worker_id;
  o.threads = f.threads > 0 ? f.threads
                            : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  o.master_address = to.control_endpoint;
  o.no_answer_hint = to.curve ? "is it running there? is --master-key its public key, and is this "
                                "worker's key on its --curve-allow list?"
                              : "is it running there (and without --curve-key), and not out of "
                                "file descriptors?";
  o.log = f.level <= log_level::info ? &std::cerr : nullptr;
  worker::runtime_options ro;
  ro.threads = o.threads;
  ro.worker_id = o.worker_id;
  ro.report_interval = std::chrono::milliseconds(f.report_interval_ms);
  ro.hub = green::hub_options::from_environment();
  // Of this worker's machine, on its own console too (the master hears of it with the next
  // report).
  if (f.level <= log_level::warning)
    ro.warn = [](const std::string& what) {
      std::cerr << "swarmlet worker: WARNING: " << what << std::endl;
    };
  auto link = std::make_unique<worker::master_link>(*transport, green::real_time(), o,
                                                    worker::runtime_factory(ro));
  green::backdoor door;
  green::socket door_listener;
  green::green_thread<void> door_server;
  door.add("users", "users running on this worker",
           [&link](const auto&) { return std::to_string(link->users()) + " users\n"; });
  door.add("status", "this worker's id and whether a master has it", [&link](const auto&) {
    return link->id() + (link->registered() ? " registered\n" : " looking for its master\n");
  });
  door.add("leave", "say goodbye to the master and exit (as Ctrl-C)", [&link](const auto&) {
    link->stop();
    return std::string("leaving\n");
  });
  if (f.backdoor_port >= 0 && !start_backdoor(f.backdoor_port, door, door_listener, door_server))
    return 2;
  green::socket health_listener;
  green::green_thread<void> health_server;
  if (f.health_port >= 0) {
    try {
      health_listener =
          green::socket::listen(f.health_host, static_cast<std::uint16_t>(f.health_port));
    } catch (const std::exception& e) {
      std::cerr << "swarmlet worker: --health-port: " << e.what() << "\n";
      return 2;
    }
    std::cerr << "swarmlet worker: health answers on http://" << f.health_host << ":"
              << health_listener.local_port() << "/healthz and /readyz" << std::endl;
    health_server = green::spawn([&] {
      http::serve_http(
          health_listener,
          [&link](const http::request& q, http::response& r) {
            worker::answer_health(*link, q, r);
          },
          // 16 idle connections once left /healthz and /readyz unanswered: a probe that cannot
          // get in restarts the worker mid-test.
          16, std::chrono::seconds(10));
    });
  }
  signal_watch signals({SIGINT, SIGTERM});
  green::green_thread<void> leaving;
  bool run_over = false;
  auto on_signal = green::spawn([&] {
    signals.wait();
    if (!run_over) {
      leaving = green::spawn([&] { link->stop(); });
      signals.wait();
    }
    link->leave_now();
  });
  const int code = link->run();
  // The master said quit (or the stop is done) while users may still be in a request: they
  // get the grace of a request timeout, and a Ctrl-C now, the first or the second, ends it.
  run_over = true;
  if (leaving.valid()) leaving.kill();
  link->close();
  on_signal.kill();
  if (door_server.valid()) door_server.kill();
  if (health_server.valid()) health_server.kill();
  return code;
}

}  // namespace

void add_worker_command(CLI::App& app, int& exit_code) {
  auto f = std::make_shared<worker_flags>();
  auto* cmd = app.add_subcommand("worker", "Join a master and run the users it asks for");
  cmd->add_option("--master", f->master, "The master's HOST[:PORT] (default port 5557); required")
      ->envname("SWARMLET_MASTER");
  cmd->add_option("--stats-port", f->stats_port,
                  "The master's stats port (default: the one the master announces)")
      ->envname("SWARMLET_STATS_PORT")
      ->check(whole_number())
      ->check(CLI::Range(1, 65535));
  cmd->add_option("--threads", f->threads, "Hub threads (default: one per core)")
      ->envname("SWARMLET_THREADS")
      ->check(whole_number())
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--id", f->id, "Worker id (default: host-pid-random)")
      ->envname("SWARMLET_WORKER_ID")
      ->check(not_empty())
      // ZeroMQ's limit for a routing id: past it the connection failed as "Invalid argument".
      ->check(CLI::Validator(
          [](std::string& id) -> std::string {
            return id.size() > 255 ? "is " + std::to_string(id.size()) + " bytes; at most 255"
                                   : std::string();
          },
          "", "at most 255 bytes"));
  cmd->add_option("--report-interval-ms", f->report_interval_ms, "Stats report interval")
      ->capture_default_str()
      ->envname("SWARMLET_REPORT_INTERVAL_MS")
      ->check(whole_number())
      ->check(CLI::Range(10, 60000));
  cmd->add_option("--backdoor-port", f->backdoor_port,
                  "Serve the backdoor console on 127.0.0.1:PORT (0: any)")
      ->check(whole_number())
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--health-port", f->health_port,
                  "Answer health probes on PORT: GET /healthz (alive, with its state), GET /readyz "
                  "(200 once a master has this worker)")
      ->envname("SWARMLET_HEALTH_PORT")
      ->check(whole_number())
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--health-host", f->health_host,
                  "Address of the health answers (0.0.0.0: probes come from outside; the "
                  "answers tell only this worker's state)")
      ->capture_default_str()
      ->envname("SWARMLET_HEALTH_HOST")
      ->check(not_empty());
  cmd->add_option(
         "--master-key", f->master_key,
         "Encrypt with CURVE: the master's public key (40 Z85 characters) or its .pub file")
      ->envname("SWARMLET_MASTER_KEY")
      ->check(not_empty());
  cmd->add_option(
         "--curve-key", f->curve_key,
         "This worker's key file (swarmlet keygen), for a master that allows listed keys only")
      ->envname("SWARMLET_CURVE_KEY")
      ->check(not_empty());
  add_log_level_flag(*cmd, f->level);
  add_version_flag(*cmd);
  cmd->callback([f, cmd, &exit_code] {
    refuse_empty_environment(*cmd);
    exit_code = serve(*f);
  });
}

}  // namespace swarmlet::app
