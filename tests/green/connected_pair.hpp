#pragma once
// A TCP connection on loopback for the green suites: the client's socket and the server's end.
#include "common/green/socket.hpp"

namespace swarmlet::green::testing_support {

struct connected_pair {
  socket listener = socket::listen("127.0.0.1", 0);
  socket client = socket::connect("127.0.0.1", listener.local_port());
  socket server = listener.accept();
};

}  // namespace swarmlet::green::testing_support
