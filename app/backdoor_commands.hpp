#pragma once
// The backdoor console of a master (and of `run`) and of a worker: the green layer's console
// with swarmlet's commands added. Always bound to 127.0.0.1.
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>

#include "common/green/backdoor.hpp"
#include "common/green/green_thread.hpp"
#include "common/green/socket.hpp"
#include "master/test_session.hpp"

namespace swarmlet::app {

/// stats, users, workers, spawn N RATE (starts a test when none runs), stop.
void add_runner_commands(green::backdoor& door, master::test_session& session,
                         std::function<nlohmann::json()> workers);

/// Serves `door` on 127.0.0.1:`port` (0: any free port) in a green thread and prints where.
/// Returns false (after saying why) when the port cannot be had.
bool start_backdoor(int port, green::backdoor& door, green::socket& listener,
                    green::green_thread<void>& server);

}  // namespace swarmlet::app
