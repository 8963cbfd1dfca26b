#include <arpa/inet.h>
#include <signal.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "common/config/config_error.hpp"
#include "common/config/duration.hpp"
#include "common/green/clock_source.hpp"
#include "common/green/hub.hpp"
#include "common/green/operations.hpp"
#include "common/http/url.hpp"
#include "exit_code.hpp"
#include "master/test_runner.hpp"
#include "master/worker_link.hpp"
#include "proto/curve_keys.hpp"
#include "proto/welcome_limit.hpp"
#include "proto/zap_authenticator.hpp"
#include "proto/zmq_transport.hpp"
#include "run_command.hpp"
#include "runner_faces.hpp"
#include "signal_watch.hpp"
#include "test_flags.hpp"

namespace swarmlet::app {
namespace {

struct master_flags {
  test_flags test;
  int expect_workers = 1;
  std::string expect_timeout = "60s";
  std::string bind = "127.0.0.1";
  int port = 5557;
  int stats_port = 0;  // 0: port + 1
  int heartbeat_ms = 1000;
  std::string curve_key;    // the master's key file: CURVE on both planes
  std::string curve_allow;  // worker public keys admitted, one a line
};

/// The welcome carries the scenario, its data files and scripts: workers need nothing but an
/// address.
proto::welcome_payload make_welcome(const config::scenario& s, const std::string& yaml,
                                    const std::string& file) {
  proto::welcome_payload w;
  w.scenario_name = std::filesystem::path(file).filename().string();
  w.scenario_yaml = yaml;
  w.target = s.target;
  w.environment = s.environment;
  w.tags = s.tags;
  w.exclude_tags = s.exclude_tags;
  const auto dir = std::filesystem::path(file).parent_path();
  for (const auto& u : s.users)
    if (u.data) w.files[u.data->file] = read_file((dir / u.data->file).string());
  // The scripts as the master checked them: the users' classes and the modules they require.
  for (const auto& [name, text] : s.scripts) w.files[name] = text;
  // TLS certificates and keys, files of multipart bodies.
  for (const auto& [name, text] : s.files) w.files[name] = text;
  return w;
}

nlohmann::json workers_json(const master::worker_registry& registry) {
  nlohmann::json out = nlohmann::json::array();
  const auto now = green::clock::now();
  for (const auto& [id, w] : registry.all())
    out.push_back(
        {{"id", id},
         {"host", w.host},
         {"threads", w.threads},
         {"users", w.users},
         {"cpu_percent", w.cpu_percent},
         {"state", w.status == master::worker_info::state::ready ? "ready" : "missing"},
         {"last_heard_ms_ago",
          std::chrono::duration_cast<std::chrono::milliseconds>(now - w.last_heard).count()}});
  return out;
}

int serve(master_flags& f) {
  block_signals({SIGINT, SIGTERM});
  std::shared_ptr<const config::scenario> scenario;
  std::chrono::microseconds expect_timeout{};
  try {
    scenario = std::make_shared<const config::scenario>(load_test(f.test));
    expect_timeout = config::parse_duration(f.expect_timeout).value();  // duration_check()
  } catch (const config::config_error& e) {
    std::cerr << "swarmlet: " << e.what() << "\n";
    return exit_bad_usage;
  }
  const std::string yaml = read_file(f.test.file);
  std::optional<proto::curve_keypair> curve;
  std::vector<std::string> allowed;
  try {
    if (!f.curve_allow.empty() && f.curve_key.empty())
      throw proto::key_error("--curve-allow needs --curve-key (the master's own key file)");
    if (!f.curve_key.empty()) curve = proto::read_curve_keypair(f.curve_key);
    if (!f.curve_allow.empty()) {
      allowed = proto::read_public_keys(f.curve_allow);
      // An empty list admitted no one: every worker was refused and the test never started.
      if (allowed.empty())
        throw proto::key_error(f.curve_allow +
                               ": --curve-allow lists no public key, so no worker could join "
                               "(one a line: cat worker*.pub > workers.pub)");
    }
  } catch (const proto::key_error& e) {
    std::cerr << "swarmlet master: " << e.what() << "\n";
    return exit_bad_usage;
  }
  if (!http::is_loopback(f.bind) && !curve && f.test.level <= log_level::warning)
    std::cerr
        << "swarmlet master: note: workers' traffic to " << f.bind
        << " is not encrypted; on an untrusted network use --curve-key (see swarmlet keygen)\n";
  green::hub hub(green::hub_options::from_environment());
  zmq::context_t context;
  // Bound before the transport's sockets, so they consult it.
  std::unique_ptr<proto::zap_authenticator> zap;
  if (!f.curve_allow.empty())
    zap = std::make_unique<proto::zap_authenticator>(context, allowed, &std::cerr);
  proto::zmq_master_options to;
  to.bind = f.bind;
  to.control_port = f.port;
  to.stats_port = f.stats_port != 0 ? f.stats_port : (f.port == 0 ? 0 : f.port + 1);
  to.curve = curve;
  if (f.stats_port == 0 && f.port == 65535) {
    std::cerr << "swarmlet master: --port 65535 leaves no next port for the stats plane: give "
                 "--stats-port, or a lower --port\n";
    return exit_bad_usage;
  }
  if (to.stats_port != 0 && to.stats_port == to.control_port) {
    std::cerr << "swarmlet master: --port and --stats-port are both " << to.control_port
              << ": the control and stats planes need a port each\n";
    return exit_bad_usage;
  }
  // Said before a listen fails with "Address already in use" of a port no one else holds; two
  // different addresses may each have the port (a wildcard overlaps every address).
  const auto wildcard = [](const std::string& a) {
    return a == "0.0.0.0" || a == "::" || a == "*";
  };
  const bool same_addresses =
      f.bind == f.test.web_host || wildcard(f.bind) || wildcard(f.test.web_host);
  if (f.test.web_port_given && f.test.web_port != 0 && same_addresses &&
      (f.test.web_port == to.control_port || f.test.web_port == to.stats_port)) {
    std::cerr << "swarmlet master: --web-port " << f.test.web_port << " is the "
              << (f.test.web_port == to.control_port
                      ? "control plane's (--port)"
                      : "stats plane's (--stats-port, or --port + 1)")
              << ": the web UI and API need a port of their own\n";
    return exit_bad_usage;
  }
  std::unique_ptr<proto::zmq_master_transport> transport;
  try {
    transport = std::make_unique<proto::zmq_master_transport>(context, to);
  } catch (const proto::bind_error& e) {
    // ZeroMQ binds an address or an interface's name, not a host name: "localhost" failed
    // with "No such device" alone (hunt).
    in6_addr any{};
    const bool no_such_interface =
        std::string_view(e.what()).find("No such device") != std::string::npos &&
        ::inet_pton(AF_INET, f.bind.c_str(), &any) != 1 &&
        ::inet_pton(AF_INET6, f.bind.c_str(), &any) != 1;
    std::cerr << "swarmlet master: cannot listen on " << e.what()
              << (no_such_interface ? " (--bind takes an IP address such as 127.0.0.1 or "
                                      "0.0.0.0, or an interface's name, not a host name)"
                                    : "")
              << "\n";
    return exit_bad_usage;
  } catch (const zmq::error_t& e) {  // a socket option (a CURVE key) ZeroMQ refused
    std::cerr << "swarmlet master: cannot listen on " << f.bind << ": " << e.what() << "\n";
    return exit_bad_usage;
  }
  master::worker_link_options lo;
  lo.heartbeat_interval = std::chrono::milliseconds(f.heartbeat_ms);
  auto welcome = make_welcome(*scenario, yaml, f.test.file);
  // Files are read up to 256 MiB, and a worker refuses a welcome with one past what a frame
  // carries: said now, naming the file, not found out by every worker.
  if (auto problem = proto::welcome_problem(welcome)) {
    std::cerr << "swarmlet master: " << *problem << "\n";
    return exit_bad_usage;
  }
  auto link =
      std::make_unique<master::worker_link>(*transport, green::real_time(), lo, std::move(welcome),
                                            f.test.level <= log_level::info ? &std::cerr : nullptr);
  std::cout << "swarmlet master listening on " << transport->control_endpoint() << " (stats "
            << transport->stats_endpoint() << ")"
            << (curve ? ", CURVE-encrypted, public key " + curve->public_key +
                            (zap ? " (" + std::to_string(allowed.size()) + " worker keys allowed)"
                                 : "")
                      : "")
            << std::endl;

  master::runner_options ro;
  ro.console = f.test.quiet ? nullptr : &std::cout;
  ro.verdicts = &std::cout;
  ro.reports = live_report_flags(f.test);
  ro.failures_fail = f.test.exit_code_on_error != 0;
  bool reports_written = true;
  master::session_hooks hooks;
  hooks.attach = [&](master::test_runner& runner, const std::string& scenario_yaml) {
    link->set_welcome(make_welcome(runner.scenario(), scenario_yaml, f.test.file));
    link->attach(runner);
  };
  hooks.ready_workers = [&] { return static_cast<int>(link->registry().ready_workers().size()); };
  hooks.cannot_ship = [&](const config::scenario& posted, const std::string& posted_yaml) {
    return proto::welcome_problem(make_welcome(posted, posted_yaml, f.test.file));
  };
  hooks.finished = [&](const master::test_runner& runner, int) {
    master::run_summary summary = runner.summary();
    summary.bad_frames = link->bad_frames();
    summary.rejected_stats = link->rejected_stats();
    if ((summary.bad_frames > 0 || summary.rejected_stats > 0) &&
        f.test.level <= log_level::warning)
      std::cerr << "swarmlet master: dropped " << summary.bad_frames << " bad frames and "
                << summary.rejected_stats << " stats reports from unknown workers or other runs\n";
    if (!write_reports(runner.scenario(), runner, summary, f.test.quiet)) reports_written = false;
  };
  master::test_session session(
      scenario, yaml, std::filesystem::path(f.test.file).parent_path().string(), ro, hooks);
  runner_faces faces;
  if (!faces.start(f.test, session, [&link] { return workers_json(link->registry()); }))
    return exit_bad_usage;
  faces.on_second_signal("the workers' final reports", [&session] { session.stop_now(); });
  // The port bound (with --port 0, the one the system chose), as workers must be told it.
  const std::string endpoint = transport->control_endpoint();
  const std::string control_port = endpoint.substr(endpoint.rfind(':') + 1);
  const int code = run_tests(f.test, session, faces, [&] {
    std::cout << "swarmlet master: waiting for " << f.expect_workers << " worker(s)" << std::endl;
    // 0 waits without a limit, as Locust's --expect-workers-max-wait 0 and swarmlet's -t 0 (it
    // gave up at once).
    const auto until = expect_timeout.count() == 0 ? green::time_point::max()
                                                   : green::clock::now() + expect_timeout;
    while (!faces.quitting() && green::clock::now() < until)
      if (link->wait_for_workers(f.expect_workers,
                                 std::min<green::duration>(until - green::clock::now(),
                                                           std::chrono::milliseconds(200))))
        return true;
    const std::size_t joined = link->registry().ready_workers().size();
    if (faces.quitting()) {
      // Asked to quit (Ctrl-C, SIGTERM, /api/quit): not a missing worker's failure.
      std::cerr << "swarmlet master: "
                << (faces.interrupted() ? "interrupted" : "told to quit (/api/quit)")
                << " while waiting for workers (" << joined << " of " << f.expect_workers
                << " joined): no test ran\n";
      return false;
    }
    std::cerr << "swarmlet master: only " << joined << " of " << f.expect_workers
              << " expected workers joined within " << config::format_duration(expect_timeout)
              << "; start them with: swarmlet worker --master HOST:" << control_port
              << (curve ? " --master-key MASTER.pub" : "") << (zap ? " --curve-key WORKER.key" : "")
              << "\n";
    return false;
  });
  link->quit_all();
  green::sleep(std::chrono::milliseconds(100));  // let the quit messages leave
  return reports_written ? code : exit_bad_usage;
}

}  // namespace

void add_master_command(CLI::App& app, int& exit_code) {
  auto f = std::make_shared<master_flags>();
  auto* cmd = app.add_subcommand(
      "master", "Drive a distributed test: workers connect, the master aggregates");
  add_test_flags(*cmd, f->test);
  cmd->add_option("--expect-workers", f->expect_workers, "Start once this many workers joined")
      ->capture_default_str()
      ->envname("SWARMLET_EXPECT_WORKERS")
      ->check(whole_number())
      ->check(CLI::Range(1, 100000));
  // A deployment sets it as the others (SWARMLET_EXPECT_WORKERS_TIMEOUT was ignored unsaid).
  cmd->add_option("--expect-workers-timeout", f->expect_timeout,
                  "Give up waiting for workers after this long (0: wait until stopped)")
      ->capture_default_str()
      ->envname("SWARMLET_EXPECT_WORKERS_TIMEOUT")
      ->check(duration_check());
  cmd->add_option("--bind", f->bind, "Address to listen on (0.0.0.0 for workers on other hosts)")
      ->capture_default_str()
      ->envname("SWARMLET_BIND")
      ->check(not_empty());
  cmd->add_option("--port", f->port, "Control port (stats use the next one)")
      ->capture_default_str()
      ->envname("SWARMLET_PORT")
      ->check(whole_number())
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--stats-port", f->stats_port, "Stats port (default: control port + 1)")
      ->envname("SWARMLET_STATS_PORT")
      ->check(whole_number())
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--heartbeat-ms", f->heartbeat_ms,
                  "Heartbeat interval; 3 missed: a worker is missing")
      ->capture_default_str()
      ->envname("SWARMLET_HEARTBEAT_MS")
      ->check(whole_number())
      ->check(CLI::Range(50, 60000));
  cmd->add_option("--curve-key", f->curve_key,
                  "Encrypt both planes with CURVE using this key file (swarmlet keygen); workers "
                  "need its .pub")
      ->envname("SWARMLET_CURVE_KEY")
      ->check(not_empty());
  cmd->add_option("--curve-allow", f->curve_allow,
                  "Admit only the workers whose public keys this file lists")
      ->envname("SWARMLET_CURVE_ALLOW")
      ->check(not_empty());
  cmd->callback([f, cmd, &exit_code] {
    refuse_empty_environment(*cmd);
    exit_code = serve(*f);
  });
}

}  // namespace swarmlet::app
