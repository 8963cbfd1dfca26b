// Master ingest: plays many fake workers against a real `swarmlet master` process and measures
// the master's CPU per stats report. Each fake worker says hello, answers spawn and stop like a
// real one, and sends one heartbeat and one stats report (NAMES request names) a second, the
// fakes spread over the second as real workers are (a hundredth of them every 10 ms).
// The fake side must not be what limits the rate: a report's figures are drawn once (a few
// variants, taken in turn) and each report only encodes one, as a worker's reporter does; the
// fake's own CPU is printed beside the master's.
//
// It builds against this tree's proto/ and against an older one (bench/master_ingest.sh builds
// it in both, to measure the master before and after): with stats_frame.hpp (protocol 6) reports
// are encoded as a worker does, names by number, acknowledged by the master's heartbeats.
//
//   master_ingest SWARMLET_BINARY WORKERS [NAMES] [SECONDS]
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
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

double cpu_seconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
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
                                 << ", spawn_rate: 1000}\nusers: [{tasks: [{get: /}]}]\n";
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
    std::fprintf(stderr, "master_ingest: the master did not start\n");
    return 1;
  }
  zmq::context_t ctx;
  ctx.set(zmq::ctxopt::max_sockets, 4 * workers + 64);  // two sockets per fake worker
  std::vector<fake_worker> fakes;
  fakes.reserve(workers);
  for (int i = 0; i < workers; ++i) {
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
    r.requests_sent = f.sequence * static_cast<std::uint64_t>(names) * 10;
#ifdef NAMES_BY_NUMBER
    return p::encode_stats(f.id, r, f.names);
#else
    return p::encode(p::make_message(p::message_type::stats, f.id, r));
#endif
  };
  std::uint64_t reports = 0;
  double cpu_start = 0, cpu_end = 0, own_start = 0, own_end = 0;
  auto wall_start = std::chrono::steady_clock::now(), wall_end = wall_start;
  auto next_tick = std::chrono::steady_clock::now();
  constexpr std::size_t slices = 100;
  constexpr auto slice_period = 10ms;
  std::size_t slice_count = 0;
  bool measuring = false, done = false;
  int ticks = 0;
  while (!done) {
    std::this_thread::sleep_until(next_tick);
    const auto now = std::chrono::steady_clock::now();
    // Real workers start at different moments and report on their own second: each tick of
    // 10 ms, one slice in a hundred of the fakes sends its heartbeat and its report, so the
    // master sees them spread over the second rather than in one burst.
    next_tick += slice_period;
    const std::size_t slice = slice_count++ % slices;
    for (std::size_t i = slice; i < fakes.size(); i += slices) {
      auto& f = fakes[i];
      const std::string hb =
          p::encode(p::make_message(p::message_type::heartbeat, f.id, p::heartbeat_payload{1}));
      f.control.send(zmq::buffer(hb), zmq::send_flags::dontwait);
      if (f.run_id != 0 && !f.stopped) {
        const std::string bytes = make_report(f, false);
        f.stats.send(zmq::buffer(bytes));
        if (measuring) ++reports;
      }
    }
    // The slice's control sockets are read once a second, on its tick: polling every fake's
    // socket every tick would cost the fake more than the master spends on the reports.
    for (std::size_t i = slice; i < fakes.size(); i += slices) {
      zmq::message_t msg;
      while (fakes[i].control.recv(msg, zmq::recv_flags::dontwait)) {
        auto d = p::decode(msg.data(), msg.size());
        if (!std::holds_alternative<p::message>(d)) continue;
        auto& mm = std::get<p::message>(d);
#ifdef NAMES_BY_NUMBER
        if (mm.type == p::message_type::heartbeat) {
          const auto& beat = std::get<p::heartbeat_payload>(mm.body);
          fakes[i].names.acknowledged(beat.run_id, beat.names_known);
        }
#endif
        if (mm.type == p::message_type::spawn)
          fakes[i].run_id = std::get<p::spawn_command>(mm.body).run_id;
        if (mm.type == p::message_type::stop && !fakes[i].stopped) {
          fakes[i].stopped = true;
          const std::string final = make_report(fakes[i], true);
          fakes[i].stats.send(zmq::buffer(final));
        }
        if (mm.type == p::message_type::quit) done = true;
      }
    }
    if (slice != slices - 1) continue;  // the rest once a second, after the last slice
    bool all_running = true;
    for (auto& f : fakes) all_running &= f.run_id != 0;
    if (all_running && !measuring && ++ticks >= 2) {
      measuring = true;
      cpu_start = cpu_seconds(master);
      own_start = cpu_seconds(::getpid());
      wall_start = now;
    } else if (measuring && now - wall_start >= std::chrono::seconds(seconds - 2)) {
      cpu_end = cpu_seconds(master);
      own_end = cpu_seconds(::getpid());
      wall_end = now;
      measuring = false;
      ticks = -1000000;
    }
  }
  int status = 0;
  ::waitpid(master, &status, 0);
  const double wall = std::chrono::duration<double>(wall_end - wall_start).count();
  const double cpu = cpu_end - cpu_start;
  const double per_report = reports ? cpu / reports * 1e6 : 0.0;
  std::printf(
      "master ingest: %d workers x %d names, %.0f reports/s: master CPU %.1f%% of one core, %.1f "
      "CPU-us per report (%.0f workers per core); fake workers' CPU %.1f%%\n",
      workers, names, reports / wall, 100.0 * cpu / wall, per_report,
      per_report > 0 ? 1e6 / per_report : 0.0, 100.0 * (own_end - own_start) / wall);
  return 0;
}
