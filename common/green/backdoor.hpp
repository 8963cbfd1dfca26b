#pragma once
// eventlet's backdoor, as a line-oriented console: connect with `nc 127.0.0.1 PORT`, type a
// command, read its answer. `help` and `threads` (every green thread of this hub and what it is
// blocked on) are built in; the program adds its own commands. Bind it to loopback only.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "socket.hpp"

namespace swarmlet::green {

class backdoor {
 public:
  /// A command's answer (lines, each ending in '\n'), from its arguments.
  using command = std::function<std::string(const std::vector<std::string>& args)>;

  backdoor();
  /// Adds (or replaces) a command.
  void add(const std::string& name, const std::string& help, command fn);
  /// The answer to one input line: the command's output, or a line saying what went wrong.
  std::string run(const std::string& line);
  /// Serves clients on `listener` (one green thread each) until the calling thread is killed.
  void serve(socket& listener);

 private:
  struct entry {
    std::string help;
    command fn;
  };
  std::map<std::string, entry> commands_;
};

}  // namespace swarmlet::green
