// eventlet's echo server on swarmlet's hub: a GreenPool of 10,000 green threads, one per
// connection, each reading lines and writing them back.
//
//   echo_server [PORT] [HOST]     (default 6000 on 127.0.0.1; try: nc 127.0.0.1 6000)
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "common/green/green_pool.hpp"
#include "common/green/hub.hpp"
#include "common/green/socket.hpp"
#include "echo.hpp"

namespace green = swarmlet::green;

int main(int argc, char** argv) {
  const int port = argc > 1 ? std::atoi(argv[1]) : 6000;
  const std::string host = argc > 2 ? argv[2] : "127.0.0.1";
  if (port < 0 || port > 65535) {
    std::fprintf(stderr, "echo_server: port must be 0..65535, got %s\n", argv[1]);
    return 2;
  }
  try {
    green::hub hub;
    auto listener = green::socket::listen(host, static_cast<std::uint16_t>(port));
    std::printf("echo server listening on %s:%u\n", host.c_str(), listener.local_port());
    std::fflush(stdout);
    green::green_pool pool(10000);
    for (;;) {
      green::socket connection = listener.accept();
      pool.spawn_n([c = std::move(connection)]() mutable { swarmlet::examples::echo_lines(c); });
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "echo_server: %s\n", e.what());
    return 1;
  }
}
