// Micro benchmarks of the hub: switch cost next to a raw Boost.Context resume in the same
// binary, spawn+join cost, the memory an idle green thread costs, and the green socket's
// recv/send path on loopback.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <boost/context/fiber.hpp>
#include <fstream>
#include <vector>

#include "common/green/event.hpp"
#include "common/green/hub.hpp"
#include "common/green/operations.hpp"
#include "common/green/socket.hpp"
#include "common/green/stack_pool.hpp"

namespace g = swarmlet::green;
namespace ctx = boost::context;
using namespace std::chrono_literals;

namespace {

// One resume of a raw fiber and its switch back: two context switches, no scheduler.
void BM_raw_fiber_resume_round_trip(benchmark::State& state) {
  bool done = false;
  ctx::fiber f([&done](ctx::fiber&& caller) {
    while (!done) caller = std::move(caller).resume();
    return std::move(caller);
  });
  for (auto _ : state) f = std::move(f).resume();
  done = true;
  f = std::move(f).resume();
}
BENCHMARK(BM_raw_fiber_resume_round_trip);

// The same on a stack from the hub's pool (mmap, guard page), to tell stack effects apart.
void BM_raw_fiber_resume_round_trip_pooled_stack(benchmark::State& state) {
  g::stack_pool pool;
  bool done = false;
  ctx::fiber f(std::allocator_arg, g::pooled_stack(pool), [&done](ctx::fiber&& caller) {
    while (!done) caller = std::move(caller).resume();
    return std::move(caller);
  });
  for (auto _ : state) f = std::move(f).resume();
  done = true;
  f = std::move(f).resume();
}
BENCHMARK(BM_raw_fiber_resume_round_trip_pooled_stack);

// Two raw fibers handing control straight to each other through main: A -> main -> B.
void BM_raw_two_fibers_via_main(benchmark::State& state) {
  bool done = false;
  auto body = [&done](ctx::fiber&& caller) {
    while (!done) caller = std::move(caller).resume();
    return std::move(caller);
  };
  ctx::fiber a(body), b(body);
  for (auto _ : state) {
    a = std::move(a).resume();
    b = std::move(b).resume();
  }
  done = true;
  a = std::move(a).resume();
  b = std::move(b).resume();
}
BENCHMARK(BM_raw_two_fibers_via_main);

// Two green threads ping-pong through sleep(0). One iteration = one yield handing the OS
// thread from one green thread to the other (green thread -> hub -> other green thread).
void BM_green_switch_sleep0(benchmark::State& state) {
  g::hub h;
  bool stop = false;
  auto other = g::spawn([&stop] {
    while (!stop) g::yield();
  });
  auto self = g::spawn([&state, &stop] {
    for (auto _ : state) g::yield();
    stop = true;
  });
  self.wait();
  other.wait();
}
BENCHMARK(BM_green_switch_sleep0);

// Ping-pong through two events: one iteration = a wake-up and a park on each side.
void BM_green_switch_event_ping_pong(benchmark::State& state) {
  g::hub h;
  g::event<> ping, pong;
  bool stop = false;
  auto echo = g::spawn([&] {
    for (;;) {
      ping.wait();
      ping.reset();
      if (stop) return;
      pong.send();
    }
  });
  auto driver = g::spawn([&] {
    for (auto _ : state) {
      ping.send();
      pong.wait();
      pong.reset();
    }
    stop = true;
    ping.send();
  });
  driver.wait();
  echo.wait();
}
BENCHMARK(BM_green_switch_event_ping_pong);

void BM_spawn_and_join(benchmark::State& state) {
  g::hub h;
  auto driver = g::spawn([&state] {
    for (auto _ : state) benchmark::DoNotOptimize(g::spawn([] { return 1; }).wait());
  });
  driver.wait();
}
BENCHMARK(BM_spawn_and_join);

void BM_spawn_n_batch_of_1000(benchmark::State& state) {
  g::hub h;
  for (auto _ : state) {
    for (int i = 0; i < 1000; ++i) g::spawn_n([] {});
    h.wait_all();
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_spawn_n_batch_of_1000);

// A request/response round trip over loopback TCP between two green threads of one hub: one
// iteration = a send and a recv on each side, parking on readiness in between (the path every
// HTTP request takes).
void BM_socket_ping_pong(benchmark::State& state) {
  g::hub h;
  auto listener = g::socket::listen("127.0.0.1", 0);
  auto echo = g::spawn([&listener] {
    g::socket c = listener.accept();
    char buf[64];
    for (std::size_t n; (n = c.recv(buf)) > 0;) c.sendall(std::string_view(buf, n));
  });
  g::socket client = g::socket::connect("127.0.0.1", listener.local_port());
  char buf[64];
  for (auto _ : state) {
    client.sendall("ping");
    for (std::size_t got = 0; got < 4;) got += client.recv(buf);
  }
  client.close();
  echo.wait();
}
BENCHMARK(BM_socket_ping_pong);

// Bulk transfer over loopback TCP: one iteration = 16 KiB sent by one green thread and read by
// another in 16 KiB recv calls (mostly the ready-flag fast path, one syscall per call).
void BM_socket_stream_16k(benchmark::State& state) {
  g::hub h;
  auto listener = g::socket::listen("127.0.0.1", 0);
  const std::string chunk(16 * 1024, 'x');
  bool stop = false;
  auto sender = g::spawn([&] {
    g::socket c = listener.accept();
    while (!stop) c.sendall(chunk);
  });
  g::socket client = g::socket::connect("127.0.0.1", listener.local_port());
  std::vector<char> buf(chunk.size());
  for (auto _ : state) {
    for (std::size_t got = 0; got < chunk.size();) got += client.recv(buf);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(chunk.size()));
  stop = true;
  while (!sender.dead()) client.recv(buf);
  sender.wait();
}
BENCHMARK(BM_socket_stream_16k);

long resident_kib() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

// 100,000 green threads sleeping in one hub: resident memory per thread (stack pages touched,
// record, page tables), reported as the counter KiB_per_thread.
void BM_idle_thread_memory(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    g::hub h;
    g::event<> release;
    // Warm the hub and its pool with one thread so only the threads themselves are counted.
    g::spawn([] {}).wait();
    const long before = resident_kib();
    std::vector<g::green_thread<void>> sleepers;
    sleepers.reserve(threads);
    const long after_reserve = resident_kib();
    for (int i = 0; i < threads; ++i) sleepers.push_back(g::spawn([&release] { release.wait(); }));
    g::sleep(0s);  // every thread runs up to its park point
    const long after = resident_kib();
    state.counters["KiB_per_thread"] = static_cast<double>(after - after_reserve) / threads;
    state.counters["handles_KiB"] = static_cast<double>(after_reserve - before);
    release.send();
    for (auto& s : sleepers) s.wait();
  }
}
BENCHMARK(BM_idle_thread_memory)->Arg(100000)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
namespace {
// A lone green thread yielding: the scheduling work without any context switch (the hub
// finds the caller first in the ready queue and returns at once, polling every 256 turns).
void BM_green_yield_alone(benchmark::State& state) {
  g::hub h;
  g::spawn([&state] {
    for (auto _ : state) g::yield();
  }).wait();
}
BENCHMARK(BM_green_yield_alone);
}  // namespace

BENCHMARK_MAIN();
