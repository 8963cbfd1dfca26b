#include "run_command.hpp"

#include <signal.h>

#include <iostream>
#include <memory>
#include <thread>

#include "common/green/hub.hpp"
#include "common/green/operations.hpp"
#include "master/test_runner.hpp"
#include "backdoor_commands.hpp"
#include "signal_watch.hpp"
#include "test_flags.hpp"
#include "worker/runtime.hpp"

namespace swarmlet::app {
namespace {

struct run_flags {
  test_flags test;
  int threads = 0;
  int report_interval_ms = 1000;
};

int run(const run_flags& f) {
  block_signals({SIGINT, SIGTERM});
  std::shared_ptr<const config::scenario> scenario;
  try {
    scenario = std::make_shared<const config::scenario>(load_with_overrides(f.test));
  } catch (const config::config_error& e) {
    std::cerr << "swarmlet: " << e.what() << "\n";
    return 2;
  }
  green::hub hub(green::hub_options::from_environment());
  master::runner_options ro;
  ro.console = f.test.quiet ? nullptr : &std::cout;
  master::test_runner runner(scenario, ro);
  worker::runtime_options wo;
  wo.threads = f.threads > 0 ? f.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  wo.report_interval = std::chrono::milliseconds(f.report_interval_ms);
  wo.hub = green::hub_options::from_environment();
  worker::runtime worker(scenario, wo, runner);
  runner.add_worker(worker, wo.worker_id, wo.threads);

  green::green_thread<void> web;
  std::unique_ptr<master::web_api> api;
  green::socket web_listener;
  const int threads = wo.threads;
  auto workers = [threads, &worker] {
    return nlohmann::json::array({{{"id", "local"}, {"host", "this process"}, {"threads", threads},
                                   {"state", "ready"}, {"users", worker.users()}}});
  };
  if (!start_web(f.test, runner, workers, web, api, web_listener)) return 2;
  green::backdoor door;
  green::socket door_listener;
  green::green_thread<void> door_server;
  add_runner_commands(door, runner, workers);
  if (f.test.backdoor_port >= 0 && !start_backdoor(f.test.backdoor_port, door, door_listener, door_server)) return 2;
  signal_watch signals({SIGINT, SIGTERM});
  auto on_signal = green::spawn([&] {
    const int sig = signals.wait();
    std::cerr << "swarmlet: " << (sig == SIGINT ? "SIGINT" : "SIGTERM") << ": stopping the test\n";
    runner.request_stop();
  });
  const int code = runner.run();
  on_signal.kill();
  if (web.valid()) web.kill();
  if (door_server.valid()) door_server.kill();
  return write_reports(*scenario, runner, runner.summary(), f.test.quiet) ? code : 2;
}

}  // namespace

void add_run_command(CLI::App& app, int& exit_code) {
  auto f = std::make_shared<run_flags>();
  auto* cmd = app.add_subcommand("run", "Run a load test in this process (a master and a worker)");
  add_test_flags(*cmd, f->test);
  cmd->add_option("--threads", f->threads, "Hub threads (default: one per core)")
      ->envname("SWARMLET_THREADS")->check(CLI::Range(1, 1024));
  cmd->add_option("--report-interval-ms", f->report_interval_ms, "Worker stats report interval")
      ->check(CLI::Range(10, 60'000));
  cmd->callback([f, &exit_code] { exit_code = run(*f); });
}

}  // namespace swarmlet::app
