#include "run_command.hpp"

#include <signal.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>

#include "common/green/hub.hpp"
#include "common/green/operations.hpp"
#include "exit_code.hpp"
#include "master/test_runner.hpp"
#include "runner_faces.hpp"
#include "signal_watch.hpp"
#include "test_flags.hpp"
#include "worker/cpu_meter.hpp"
#include "worker/runtime.hpp"

namespace swarmlet::app {
namespace {

struct run_flags {
  test_flags test;
  int threads = 0;
  int report_interval_ms = 1000;
};

int run(run_flags& f) {
  block_signals({SIGINT, SIGTERM});
  std::shared_ptr<const config::scenario> scenario;
  try {
    scenario = std::make_shared<const config::scenario>(load_test(f.test));
  } catch (const config::config_error& e) {
    std::cerr << "swarmlet: " << e.what() << "\n";
    return exit_bad_usage;
  }
  green::hub hub(green::hub_options::from_environment());
  master::runner_options ro;
  ro.console = f.test.quiet ? nullptr : &std::cout;
  ro.verdicts = &std::cout;
  ro.reports = live_report_flags(f.test);
  ro.failures_fail = f.test.exit_code_on_error != 0;
  worker::runtime_options wo;
  wo.threads = f.threads > 0 ? f.threads
                             : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  wo.report_interval = std::chrono::milliseconds(f.report_interval_ms);
  wo.hub = green::hub_options::from_environment();

  // The local worker is built for each test, from that test's scenario (it may have been posted).
  std::unique_ptr<worker::runtime> local;
  std::unique_ptr<master::test_session> session;
  bool reports_written = true;
  master::session_hooks hooks;
  hooks.attach = [&](master::test_runner& runner, const std::string&) {
    local.reset();
    // What the local worker warns of reaches the master with its reports, as any worker's.
    local = std::make_unique<worker::runtime>(runner.scenario_ptr(), wo, *session);
    runner.add_worker(*local, wo.worker_id, wo.threads);
  };
  hooks.finished = [&](const master::test_runner& runner, int) {
    if (!write_reports(runner.scenario(), runner, runner.summary(), f.test.quiet))
      reports_written = false;
  };
  session = std::make_unique<master::test_session>(
      scenario, read_file(f.test.file), std::filesystem::path(f.test.file).parent_path().string(),
      ro, hooks);
  runner_faces faces;
  worker::cpu_meter cpu;
  if (!faces.start(f.test, *session, [&] {
        return nlohmann::json::array({{{"id", "local"},
                                       {"host", "this process"},
                                       {"threads", wo.threads},
                                       {"state", "ready"},
                                       {"users", local ? local->users() : 0},
                                       {"cpu_percent", cpu.sample()}}});
      }))
    return exit_bad_usage;
  // The local worker's stop sends its final report at once, with what its users did: the
  // session waits for it as usual.
  faces.on_second_signal("requests in flight", [&local] {
    if (local) local->leave_now();
  });
  const int code = run_tests(f.test, *session, faces, [] { return true; });
  // Users still in a request get the grace of a request timeout, while Ctrl-C is still seen.
  if (local) local->close();
  local.reset();
  return reports_written ? code : exit_bad_usage;
}

}  // namespace

void add_run_command(CLI::App& app, int& exit_code) {
  auto f = std::make_shared<run_flags>();
  auto* cmd = app.add_subcommand("run", "Run a load test in this process (a master and a worker)");
  add_test_flags(*cmd, f->test);
  cmd->add_option("--threads", f->threads, "Hub threads (default: one per core)")
      ->envname("SWARMLET_THREADS")
      ->check(whole_number())
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--report-interval-ms", f->report_interval_ms, "Worker stats report interval")
      ->check(whole_number())
      ->check(CLI::Range(10, 60'000));
  cmd->callback([f, cmd, &exit_code] {
    refuse_empty_environment(*cmd);
    exit_code = run(*f);
  });
}

}  // namespace swarmlet::app
