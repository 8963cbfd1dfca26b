#include <signal.h>

#include <iostream>
#include <memory>
#include <thread>

#include "backdoor_commands.hpp"
#include "common/green/hub.hpp"
#include "common/green/operations.hpp"
#include "run_command.hpp"
#include "signal_watch.hpp"
#include "worker/agent.hpp"

namespace swarmlet::app {
namespace {

struct worker_flags {
  std::string master = "127.0.0.1";
  int stats_port = 0;
  int threads = 0;
  std::string id;
  int report_interval_ms = 1000;
  int backdoor_port = -1;
  std::string master_key;  // the master's public key, or a file with it
  std::string curve_key;   // this worker's key file
};

int serve(const worker_flags& f) {
  block_signals({SIGINT, SIGTERM});
  std::string host = f.master;
  int port = 5557;
  if (const auto colon = f.master.rfind(':');
      colon != std::string::npos && f.master.find(']') == std::string::npos) {
    host = f.master.substr(0, colon);
    try {
      port = std::stoi(f.master.substr(colon + 1));
    } catch (...) {
      port = -1;
    }
    if (port <= 0 || port > 65535) {
      std::cerr << "swarmlet worker: --master '" << f.master
                << "': expected HOST[:PORT] with a port 1..65535\n";
      return 2;
    }
  }
  green::hub hub(green::hub_options::from_environment());
  zmq::context_t context;
  worker::agent_options o;
  o.control_endpoint = "tcp://" + host + ":" + std::to_string(port);
  if (f.stats_port != 0) o.stats_endpoint = "tcp://" + host + ":" + std::to_string(f.stats_port);
  o.worker_id = f.id;
  o.threads = f.threads > 0 ? f.threads
                            : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  o.report_interval = std::chrono::milliseconds(f.report_interval_ms);
  o.hub = green::hub_options::from_environment();
  o.log = &std::cerr;
  if (!f.master_key.empty()) {
    try {
      o.curve =
          worker::curve_client_keys{proto::public_key_from(f.master_key),
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
  std::unique_ptr<worker::agent> agent;
  try {
    agent = std::make_unique<worker::agent>(context, o);
  } catch (const zmq::error_t& e) {
    std::cerr << "swarmlet worker: cannot connect to " << o.control_endpoint << ": " << e.what()
              << "\n";
    return 2;
  }
  green::backdoor door;
  green::socket door_listener;
  green::green_thread<void> door_server;
  door.add("users", "users running on this worker",
           [&agent](const auto&) { return std::to_string(agent->users()) + " users\n"; });
  door.add("status", "this worker's id and whether a master has it", [&agent](const auto&) {
    return agent->id() + (agent->registered() ? " registered\n" : " looking for its master\n");
  });
  door.add("leave", "say goodbye to the master and exit (as Ctrl-C)", [&agent](const auto&) {
    agent->stop();
    return std::string("leaving\n");
  });
  if (f.backdoor_port >= 0 && !start_backdoor(f.backdoor_port, door, door_listener, door_server))
    return 2;
  signal_watch signals({SIGINT, SIGTERM});
  auto on_signal = green::spawn([&] {
    signals.wait();
    agent->stop();
  });
  const int code = agent->run();
  on_signal.kill();
  if (door_server.valid()) door_server.kill();
  return code;
}

}  // namespace

void add_worker_command(CLI::App& app, int& exit_code) {
  auto f = std::make_shared<worker_flags>();
  auto* cmd = app.add_subcommand("worker", "Join a master and run the users it asks for");
  cmd->add_option("--master", f->master, "The master's HOST[:PORT] (default port 5557)")
      ->envname("SWARMLET_MASTER")
      ->required();
  cmd->add_option("--stats-port", f->stats_port,
                  "The master's stats port (default: the one the master announces)")
      ->check(CLI::Range(1, 65535));
  cmd->add_option("--threads", f->threads, "Hub threads (default: one per core)")
      ->envname("SWARMLET_THREADS")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--id", f->id, "Worker id (default: host-pid-random)");
  cmd->add_option("--report-interval-ms", f->report_interval_ms, "Stats report interval")
      ->check(CLI::Range(10, 60000));
  cmd->add_option("--backdoor-port", f->backdoor_port,
                  "Serve the backdoor console on 127.0.0.1:PORT (0: any)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option(
         "--master-key", f->master_key,
         "Encrypt with CURVE: the master's public key (40 Z85 characters) or its .pub file")
      ->envname("SWARMLET_MASTER_KEY");
  cmd->add_option(
         "--curve-key", f->curve_key,
         "This worker's key file (swarmlet keygen), for a master that allows listed keys only")
      ->envname("SWARMLET_CURVE_KEY");
  cmd->callback([f, &exit_code] { exit_code = serve(*f); });
}

}  // namespace swarmlet::app
