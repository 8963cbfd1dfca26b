// Master ingest: plays many fake workers against a real `swarmlet master` process and measures
// the master's CPU per stats report. Each fake worker says hello, answers spawn and stop like a
// real one, and sends one stats report (NAMES request names) a second (and, as a worker of
// protocol 6 or older does, a heartbeat beside it), the fakes spread over the second as real
// workers are (a hundredth of them every 10 ms). The fakes run in processes of up to 2,000
// each, so that more than the descriptor limit allows one process can be measured (the master
// itself takes two descriptors per worker).
// The fake side must not be what limits the rate: a report's figures are drawn once (a few
// variants, taken in turn) and each report only encodes one, as a worker's reporter does; the
// fakes' own CPU (all their processes together) is printed beside the master's.
//
// It builds against this tree's proto/ and against an older one (bench/master_ingest.sh builds
// it in both, to measure the master before and after): with stats_frame.hpp (protocol 6) reports
// are encoded as a worker does, names by number, acknowledged by the master's heartbeats.
//
//   master_ingest SWARMLET_BINARY WORKERS [NAMES] [SECONDS]
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "proto/codec.hpp"
#if __has_include("proto/stats_frame.hpp")
#include "proto/stats_frame.hpp"
#define NAMES_BY_NUMBER 1
#endif

namespace p = swarmlet::proto;
using namespace std::chrono_literals;

namespace {

/// From protocol 7 a worker that reports sends no heartbeat (the report stands in for it) and
/// its reports carry its CPU; built against an older proto/, the fakes speak that one.
constexpr bool reports_stand_in_for_heartbeats = p::protocol_version >= 7;
template <class Report>
void say_cpu(Report& r) {
  if constexpr (requires { r.cpu_percent; }) r.cpu_percent = 12.5;
}

/// CPU seconds (user + system) of /proc/<path>/stat: a process, or one thread (pid/task/tid).
double cpu_seconds_of(const std::string& path) {
  std::ifstream stat("/proc/" + path + "/stat");
  std::string s((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  if (s.empty()) return 0;
  std::istringstream fields(s.substr(s.rfind(')') + 2));
  std::string f;
  long utime = 0, stime = 0;
  for (int i = 3; i <= 15; ++i) {
    fields >> f;
    if (i == 14) utime = std::stol(f);
    if (i == 15) stime = std::stol(f);
  }
  return static_cast<double>(utime + stime) / sysconf(_SC_CLK_TCK);
}

double cpu_seconds(pid_t pid) {
  return cpu_seconds_of(std::to_string(pid));
}

/// The CPU seconds of the process's ZeroMQ I/O threads (named ZMQbg/IO/N): the rest of the
/// master's is its main thread's (and ZeroMQ's reaper's, which is idle).
double zmq_io_cpu_seconds(pid_t pid) {
  double sum = 0;
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& entry : std::filesystem::directory_iterator(tasks)) {
    std::ifstream comm(entry.path() / "comm");
    std::string name;
    std::getline(comm, name);
    if (name.rfind("ZMQbg/IO", 0) == 0)
      sum += cpu_seconds_of(std::to_string(pid) + "/task/" + entry.path().filename().string());
  }
  return sum;
}

struct fake_worker {
  std::string id;
  zmq::socket_t control;
  zmq::socket_t stats;
  std::uint64_t run_id = 0;
  std::uint64_t sequence = 0;
  bool stopped = false;
#ifdef NAMES_BY_NUMBER
  p::report_names names;
#endif
};

/// What the processes playing the fakes share with the one measuring: how many fakes run, the
/// measured window (steady-clock nanoseconds, 0 until set) and the reports sent in it.
struct shared_state {
  std::atomic<int> running{0};
  std::atomic<std::int64_t> window_start_ns{0};
  std::atomic<std::int64_t> window_end_ns{0};
  std::atomic<std::uint64_t> reports{0};
};

std::int64_t since_epoch_ns(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

/// Plays fakes [lo, hi) until the master says quit (in a process of its own).
int play_fakes(int lo, int hi, int names, const std::string& control_port,
               const std::string& stats_port, shared_state& shared) {
  zmq::context_t ctx;
  ctx.set(zmq::ctxopt::max_sockets, 2 * (hi - lo) + 64);  // two sockets per fake worker
  std::vector<fake_worker> fakes;
  fakes.reserve(hi - lo);
  for (int i = lo; i < hi; ++i) {
    fake_worker f{"fake-" + std::to_string(i), zmq::socket_t(ctx, zmq::socket_type::dealer),
                  zmq::socket_t(ctx, zmq::socket_type::push)};
    f.control.set(zmq::sockopt::routing_id, f.id);
    f.control.connect("tcp://127.0.0.1:" + control_port);
    f.stats.connect("tcp://127.0.0.1:" + stats_port);
    const std::string hello =
        p::encode(p::make_message(p::message_type::hello, f.id, p::hello_payload{"bench", 1, 1}));
    f.control.send(zmq::buffer(hello));
    fakes.push_back(std::move(f));
  }
  // A report's worth of stats: NAMES names, ten requests each, with a realistic spread of
  // response times; drawn once in a few variants.
  std::mt19937_64 rng(1);
  std::lognormal_distribution<double> latency(std::log(20000.0), 0.8);
  std::vector<p::stats_report> variants(8);
  for (auto& r : variants)
    for (int n = 0; n < names; ++n) {
      auto& e = r.delta.entry("GET", "/name/" + std::to_string(n));
      for (int k = 0; k < 10; ++k)
        e.record(static_cast<std::uint64_t>(latency(rng)), 100, k == 0 && n % 10 == 0);
    }
  auto make_report = [&](fake_worker& f, bool final) {
    p::stats_report& r = variants[f.sequence % variants.size()];
    r.run_id = f.run_id;
    r.sequence = ++f.sequence;
    r.final = final;
    r.users = 1;
    say_cpu(r);
    r.requests_sent = f.sequence * static_cast<std::uint64_t>(names) * 10;
#ifdef NAMES_BY_NUMBER
    return p::encode_stats(f.id, r, f.names);
#else
    return p::encode(p::make_message(p::message_type::stats, f.id, r));
#endif
  };
  auto next_tick = std::chrono::steady_clock::now();
  constexpr std::size_t slices = 100;
  constexpr auto slice_period = 10ms;
  std::size_t slice_count = 0;
  int running = 0;
  bool done = false;
  while (!done) {
    std::this_thread::sleep_until(next_tick);
    const std::int64_t now = since_epoch_ns(std::chrono::steady_clock::now());
    const std::int64_t start = shared.window_start_ns.load(), end = shared.window_end_ns.load();
    const bool measuring = start != 0 && now >= start && (end == 0 || now < end);
    // Real workers start at different moments and report on their own second: each tick of
    // 10 ms, one slice in a hundred of the fakes sends its heartbeat and its report, so the
    // master sees them spread over the second rather than in one burst.
    next_tick += slice_period;
    const std::size_t slice = slice_count++ % slices;
    for (std::size_t i = slice; i < fakes.size(); i += slices) {
      auto& f = fakes[i];
      const bool reports = f.run_id != 0 && !f.stopped;
      if (!reports || !reports_stand_in_for_heartbeats) {
        const std::string hb =
            p::encode(p::make_message(p::message_type::heartbeat, f.id, p::heartbeat_payload{1}));
        f.control.send(zmq::buffer(hb), zmq::send_flags::dontwait);
      }
      if (reports) {
        const std::string bytes = make_report(f, false);
        f.stats.send(zmq::buffer(bytes));
        if (measuring) shared.reports.fetch_add(1);
      }
    }
    // The slice's control sockets are read once a second, on its tick: polling every fake's
    // socket every tick would cost the fake more than the master spends on the reports.
    for (std::size_t i = slice; i < fakes.size(); i += slices) {
      auto& f = fakes[i];
      zmq::message_t msg;
      while (f.control.recv(msg, zmq::recv_flags::dontwait)) {
        auto d = p::decode(msg.data(), msg.size());
        if (!std::holds_alternative<p::message>(d)) continue;
        auto& mm = std::get<p::message>(d);
#ifdef NAMES_BY_NUMBER
        if (mm.type == p::message_type::heartbeat) {
          const auto& beat = std::get<p::heartbeat_payload>(mm.body);
          f.names.acknowledged(beat.run_id, beat.names_known);
        }
#endif
        if (mm.type == p::message_type::spawn && f.run_id == 0) {
          f.run_id = std::get<p::spawn_command>(mm.body).run_id;
          if (++running == hi - lo) shared.running.fetch_add(running);
        }
        if (mm.type == p::message_type::stop && !f.stopped) {
          f.stopped = true;
          const std::string final = make_report(f, true);
          f.stats.send(zmq::buffer(final));
        }
        if (mm.type == p::message_type::quit) done = true;
      }
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: master_ingest SWARMLET_BINARY WORKERS [NAMES] [SECONDS]\n");
    return 2;
  }
  const std::string binary = argv[1];
  const int workers = std::atoi(argv[2]);
  const int names = argc > 3 ? std::atoi(argv[3]) : 100;
  const int seconds = argc > 4 ? std::atoi(argv[4]) : 10;
  char dir_template[] = "/tmp/swarmlet-ingest-XXXXXX";
  const std::string dir = ::mkdtemp(dir_template);
  std::ofstream(dir + "/s.yaml") << "target: http://127.0.0.1:9\nload: {users: " << workers
                                 << ", spawn_rate: " << std::max(workers, 1000)
                                 << "}\nusers: [{tasks: [{get: /}]}]\n";
  const std::string out = dir + "/master.out";
  const pid_t master = ::fork();
  if (master == 0) {
    std::freopen(out.c_str(), "w", stdout);
    std::freopen((dir + "/master.err").c_str(), "w", stderr);
    const std::string expect = std::to_string(workers),
                      run_time = std::to_string(seconds + 4) + "s";
    ::execl(binary.c_str(), binary.c_str(), "master", (dir + "/s.yaml").c_str(), "--expect-workers",
            expect.c_str(), "--port", "0", "-q", "-t", run_time.c_str(), "--expect-workers-timeout",
            "120s", nullptr);
    ::_exit(127);
  }
  std::smatch m;
  std::string control_port, stats_port;
  for (int i = 0; i < 200 && control_port.empty(); ++i) {
    std::this_thread::sleep_for(50ms);
    std::ifstream in(out);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (std::regex_search(text, m, std::regex(R"(:(\d+) \(stats tcp://127\.0\.0\.1:(\d+)\))"))) {
      control_port = m[1];
      stats_port = m[2];
    }
  }
  if (control_port.empty()) {
    std::fprintf(stderr, "master_ingest: the master did not start (its output is in %s)\n",
                 dir.c_str());
    return 1;
  }
  // Each process holds at most fakes_per_process fakes: a fake takes four descriptors (two
  // connections and their sockets' mailboxes), and the descriptor limit is per process.
  constexpr int fakes_per_process = 2000;
  auto* shared = static_cast<shared_state*>(::mmap(
      nullptr, sizeof(shared_state), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  new (shared) shared_state{};
  std::vector<pid_t> players;
  for (int lo = 0; lo < workers; lo += fakes_per_process) {
    const int hi = std::min(workers, lo + fakes_per_process);
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(play_fakes(lo, hi, names, control_port, stats_port, *shared));
    players.push_back(pid);
  }
  auto players_cpu = [&] {
    double sum = 0;
    for (const pid_t pid : players) sum += cpu_seconds(pid);
    return sum;
  };
  // Measured from two seconds after every fake runs, for SECONDS - 2 seconds.
  while (shared->running.load() < workers) std::this_thread::sleep_for(10ms);
  std::this_thread::sleep_for(2s);
  const double cpu_start = cpu_seconds(master), own_start = players_cpu(),
               io_start = zmq_io_cpu_seconds(master);
  const auto wall_start = std::chrono::steady_clock::now();
  shared->window_start_ns.store(since_epoch_ns(wall_start));
  std::this_thread::sleep_for(std::chrono::seconds(seconds - 2));
  const auto wall_end = std::chrono::steady_clock::now();
  shared->window_end_ns.store(since_epoch_ns(wall_end));
  const double cpu_end = cpu_seconds(master), own_end = players_cpu(),
               io_end = zmq_io_cpu_seconds(master);
  for (const pid_t pid : players) ::waitpid(pid, nullptr, 0);
  const std::uint64_t reports = shared->reports.load();
  int status = 0;
  ::waitpid(master, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) > 1) {
    // 1 is a test's own verdict (the fakes send no requests); anything else is the master's
    // failure, and its output is what says why.
    std::fprintf(stderr, "master_ingest: the master failed (its output is in %s)\n", dir.c_str());
    return 1;
  }
  std::filesystem::remove_all(dir);
  const double wall = std::chrono::duration<double>(wall_end - wall_start).count();
  const double cpu = cpu_end - cpu_start;
  const double per_report = reports ? cpu / reports * 1e6 : 0.0;
  const double io_per_report = reports ? (io_end - io_start) / reports * 1e6 : 0.0;
  std::printf(
      "master ingest: %d workers x %d names, %.0f reports/s: master CPU %.1f%% of one core, %.1f "
      "CPU-us per report (main thread %.1f, ZeroMQ I/O thread %.1f; %.0f workers per core); fake "
      "workers' CPU %.1f%%\n",
      workers, names, reports / wall, 100.0 * cpu / wall, per_report, per_report - io_per_report,
      io_per_report, per_report > 0 ? 1e6 / per_report : 0.0, 100.0 * (own_end - own_start) / wall);
  return 0;
}
