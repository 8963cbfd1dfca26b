#pragma once
// The seeds' echo handler: read a line, write it back, until the client closes.
#include "common/green/buffered_reader.hpp"
#include "common/green/stream.hpp"

namespace swarmlet::examples {

inline void echo_lines(green::stream& connection) {
  green::buffered_reader reader(connection);
  for (;;) {
    const std::string line = reader.readline();
    if (line.empty()) return;  // the client closed
    connection.write_all(line);
  }
}

}  // namespace swarmlet::examples
