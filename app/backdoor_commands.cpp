#include "backdoor_commands.hpp"

#include <iostream>

#include "common/green/operations.hpp"
#include "master/console.hpp"
#include "master/swarm_change.hpp"

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
             // The web API's checks, word for word: stoi read "0x10" as 0, "inf" reached the
             // workers, 2147483647 users froze the master (sandbox hunt).
             master::swarm_change change;
             try {
               change = master::read_swarm_change({{"users", master::console_word(args[0])},
                                                   {"spawn_rate", master::console_word(args[1])}});
             } catch (const master::bad_field& e) {
               return std::string(e.what()) + "\n";
             }
             if (!session.active()) {
               master::start_request r;
               r.overrides.users = change.users;
               r.overrides.spawn_rate = change.spawn_rate;
               const auto outcome = session.start(r);
               if (outcome.result != master::start_outcome::kind::started)
                 return "cannot start: " + outcome.message + "\n";
               return "started a test with " + std::to_string(*change.users) + " users\n";
             }
             const auto outcome = session.change_users(change);
             if (!outcome.changed) return outcome.message + "\n";
             return "moving to " + std::to_string(outcome.users) + " users\n";
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
