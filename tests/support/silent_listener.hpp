#pragma once
// A target that takes connections on loopback and never answers: users stay in their request,
// as with a server that hung, for tests of what stops them.
#include <chrono>
#include <string>
#include <vector>

namespace swarmlet::testing_support {

class silent_listener {
 public:
  silent_listener();  // listens on a free loopback port
  ~silent_listener();
  silent_listener(const silent_listener&) = delete;
  silent_listener& operator=(const silent_listener&) = delete;

  /// http://127.0.0.1:PORT
  const std::string& url() const { return url_; }
  /// Waits (up to `deadline`) for a client to connect, a user then in its request, and keeps
  /// the connection open; false if none came.
  bool accept_one(std::chrono::seconds deadline = std::chrono::seconds(60));
  /// Writes a scenario against this listener whose requests time out only after an hour, with
  /// this `load:` and these `tasks:` (YAML flow); returns its path.
  std::string scenario(const std::string& load, const std::string& tasks = "[{get: /}]") const;

 private:
  int fd_;
  std::string url_;
  std::vector<int> accepted_;
};

}  // namespace swarmlet::testing_support
