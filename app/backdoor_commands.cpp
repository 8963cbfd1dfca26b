#include "backdoor_commands.hpp"

#include <iostream>

#include "common/green/operations.hpp"
#include "master/console.hpp"

namespace swarmlet::app {

void add_runner_commands(green::backdoor& door, master::test_session& session,
                         std::function<nlohmann::json()> workers) {
  door.add("stats", "the per-name stats table", [&session](const auto&) {
    return master::format_stats_table(session.current().results());
  });
  door.add("users", "users running now", [&session](const auto&) {
    return std::to_string(session.current().users_now()) + " users\n";
  });
  door.add("workers", "the workers and their state", [workers](const auto&) {
    std::string out;
    for (const auto& w : workers())
      out += w.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    return out;
  });
  door.add("spawn", "spawn N RATE: move to N users at RATE users/s",
           [&session](const std::vector<std::string>& args) {
             if (args.size() != 2) return std::string("usage: spawn N RATE\n");
             int users = 0;
             double rate = 0;
             try {
               users = std::stoi(args[0]);
               rate = std::stod(args[1]);
             } catch (...) {
               return std::string("usage: spawn N RATE (whole N >= 0, RATE > 0)\n");
             }
             if (users < 0 || !(rate > 0))
               return std::string("usage: spawn N RATE (whole N >= 0, RATE > 0)\n");
             if (!session.active()) {
               master::start_request r;
               r.overrides.users = users;
               r.overrides.spawn_rate = rate;
               const auto outcome = session.start(r);
               if (outcome.result != master::start_outcome::kind::started)
                 return "cannot start: " + outcome.message + "\n";
               return "started a test with " + std::to_string(users) + " users\n";
             }
             switch (session.current().change_users(users, rate)) {
               case master::test_runner::change_result::changed:
                 break;
               case master::test_runner::change_result::not_running:
                 return std::string("no test is running\n");
               case master::test_runner::change_result::stopping:
                 return std::string("the test is stopping: its users are not changed\n");
               case master::test_runner::change_result::open_model:
                 return std::string("the open model takes no user count\n");
             }
             return "moving to " + std::to_string(users) + " users\n";
           });
  door.add("stop", "stop the test", [&session](const auto&) {
    if (!session.active()) return std::string("no test is running\n");
    session.stop();
    return std::string("stopping\n");
  });
}

bool start_backdoor(int port, green::backdoor& door, green::socket& listener,
                    green::green_thread<void>& server) {
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
