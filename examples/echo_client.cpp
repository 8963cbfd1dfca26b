// A client for the echo server: N green threads, each with its own connection, each sending
// lines and checking that every one comes back. Prints a one-line summary.
//
//   echo_client PORT [CONNECTIONS] [LINES_PER_CONNECTION] [PIPELINE_DEPTH] [HOST]
//
// PIPELINE_DEPTH lines are sent in one write before their echoes are read (default 1).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "common/green/buffered_reader.hpp"
#include "common/green/green_pool.hpp"
#include "common/green/hub.hpp"
#include "common/green/socket.hpp"

namespace green = swarmlet::green;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: echo_client PORT [CONNECTIONS] [LINES_PER_CONNECTION] [PIPELINE_DEPTH] "
                 "[HOST]\n");
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const int connections = argc > 2 ? std::atoi(argv[2]) : 100;
  const int lines = argc > 3 ? std::atoi(argv[3]) : 100;
  const int depth = argc > 4 ? std::atoi(argv[4]) : 1;
  const std::string host = argc > 5 ? argv[5] : "127.0.0.1";
  if (port <= 0 || port > 65535 || connections <= 0 || lines <= 0 || depth <= 0) {
    std::fprintf(stderr,
                 "echo_client: PORT must be 1..65535, CONNECTIONS, LINES and DEPTH positive\n");
    return 2;
  }
  green::hub hub;
  green::green_pool pool(static_cast<std::size_t>(connections));
  long echoed = 0, wrong = 0, failed = 0;
  const auto start = green::clock::now();
  for (int c = 0; c < connections; ++c) {
    pool.spawn_n([&, c] {
      try {
        auto s =
            green::socket::connect(host, static_cast<std::uint16_t>(port), std::chrono::seconds(5));
        s.set_timeout(std::chrono::seconds(10));
        green::buffered_reader reader(s);
        std::string batch;
        for (int first = 0; first < lines; first += depth) {
          const int last = std::min(lines, first + depth);
          batch.clear();
          for (int i = first; i < last; ++i)
            batch += "connection " + std::to_string(c) + " line " + std::to_string(i) + "\n";
          s.sendall(batch);
          for (int i = first; i < last; ++i) {
            const std::string line =
                "connection " + std::to_string(c) + " line " + std::to_string(i) + "\n";
            if (reader.readline() == line) {
              ++echoed;
            } else {
              ++wrong;
            }
          }
        }
      } catch (const std::exception& e) {
        if (failed++ == 0) std::fprintf(stderr, "echo_client: %s\n", e.what());
      }
    });
  }
  pool.waitall();
  const double secs = std::chrono::duration<double>(green::clock::now() - start).count();
  std::printf(
      "echo_client: %d connections, %ld lines echoed, %ld wrong, %ld connections failed, "
      "%.3f s, %.0f lines/s\n",
      connections, echoed, wrong, failed, secs, echoed / secs);
  return wrong == 0 && failed == 0 ? 0 : 1;
}
