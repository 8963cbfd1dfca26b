#include "backdoor_commands.hpp"

#include <iostream>

#include "common/green/operations.hpp"
#include "master/console.hpp"

namespace swarmlet::app {

void add_runner_commands(green::backdoor& door, master::test_runner& runner, std::function<nlohmann::json()> workers) {
  door.add("stats", "the per-name stats table", [&runner](const auto&) {
    return master::format_stats_table(runner.results());
  });
  door.add("users", "users running now", [&runner](const auto&) {
    return std::to_string(runner.results().users()) + " users\n";
  });
  door.add("workers", "the workers and their state", [workers](const auto&) {
    std::string out;
    for (const auto& w : workers()) out += w.dump() + "\n";
    return out;
  });
  door.add("spawn", "spawn N RATE: move to N users at RATE users/s", [&runner](const std::vector<std::string>& args) {
    if (args.size() != 2) return std::string("usage: spawn N RATE\n");
    int users = 0;
    double rate = 0;
    try {
      users = std::stoi(args[0]);
      rate = std::stod(args[1]);
    } catch (...) {
      return std::string("usage: spawn N RATE (whole N >= 0, RATE > 0)\n");
    }
    if (users < 0 || !(rate > 0)) return std::string("usage: spawn N RATE (whole N >= 0, RATE > 0)\n");
    if (!runner.running()) return std::string("no test is running\n");
    if (!runner.change_users(users, rate)) return std::string("the open model takes no user count\n");
    return "moving to " + std::to_string(users) + " users\n";
  });
  door.add("stop", "stop the test (as Ctrl-C)", [&runner](const auto&) {
    runner.request_stop();
    return std::string("stopping\n");
  });
}

bool start_backdoor(int port, green::backdoor& door, green::socket& listener, green::green_thread<void>& server) {
  try {
    listener = green::socket::listen("127.0.0.1", static_cast<std::uint16_t>(port));
  } catch (const std::exception& e) {
    std::cerr << "swarmlet: backdoor: " << e.what() << "\n";
    return false;
  }
  std::cout << "swarmlet: backdoor console on 127.0.0.1:" << listener.local_port() << std::endl;
  server = green::spawn([&door, &listener] { door.serve(listener); });
  return true;
}

}  // namespace swarmlet::app
