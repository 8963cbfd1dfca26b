#include "common/green/backdoor.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "common/green/buffered_reader.hpp"
#include "common/green/event.hpp"
#include "common/green/operations.hpp"
#include "hub_fixture.hpp"

using namespace std::chrono_literals;
namespace g = swarmlet::green;

namespace {

using Backdoor = g::testing_support::hub_test;

/// Reads up to the next prompt.
std::string answer(g::buffered_reader& in) {
  std::string out;
  while (out.size() < 2 || out.substr(out.size() - 2) != "> ") {
    const std::string part = in.read_some();
    if (part.empty()) break;
    out += part;
  }
  return out;
}

TEST_P(Backdoor, AnswersCommandsOverARealSocket) {
  g::backdoor door;
  door.add("echo", "say it back", [](const std::vector<std::string>& args) {
    std::string out;
    for (const auto& a : args) out += a + " ";
    return out + "\n";
  });
  g::event<> never;
  auto sleeper = g::spawn([&never] { never.wait(); });
  auto listener = g::socket::listen("127.0.0.1", 0);
  auto server = g::spawn([&] { door.serve(listener); });
  auto client = g::socket::connect("127.0.0.1", listener.local_port());
  g::buffered_reader in(client);
  EXPECT_NE(answer(in).find("type help"), std::string::npos);
  client.sendall("help\n");
  const auto help = answer(in);
  EXPECT_NE(help.find("threads - "), std::string::npos) << help;
  EXPECT_NE(help.find("echo - say it back"), std::string::npos) << help;
  client.sendall("echo a b\n");
  EXPECT_EQ(answer(in), "a b \n> ");
  client.sendall("threads\n");
  const auto threads = answer(in);
  EXPECT_NE(threads.find("parked on event::wait"), std::string::npos) << threads;
  client.sendall("nonsense\n");
  EXPECT_NE(answer(in).find("unknown command 'nonsense'"), std::string::npos);
  client.sendall("quit\n");
  EXPECT_EQ(in.read_some(), "") << "quit closes the console";
  never.send();
  sleeper.wait();
  server.kill();
}

}  // namespace

SWARMLET_ALL_BACKENDS(Backdoor);
