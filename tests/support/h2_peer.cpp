#include "h2_peer.hpp"

#include <unistd.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <stdexcept>

#include "http_calls.hpp"
#include "process.hpp"

namespace swarmlet::testing_support {

bool h2_peer::available() {
  return access("/usr/bin/node", X_OK) == 0;
}

h2_peer::h2_peer(h2_peer_mode mode) {
  std::vector<std::string> argv{"/usr/bin/node", SWARMLET_SOURCE_DIR "/tests/support/h2_peer.mjs"};
  if (mode == h2_peer_mode::oversize) argv.push_back("--oversize");
  if (mode == h2_peer_mode::header_bomb) argv.push_back("--header-bomb");
  if (mode == h2_peer_mode::early_answer) argv.push_back("--early-answer");
  if (mode == h2_peer_mode::no_streams) argv.push_back("--no-streams");
  if (mode == h2_peer_mode::head_only) argv.push_back("--head-only");
  if (mode == h2_peer_mode::status_000) argv.push_back("--status-000");
  node_ = std::make_unique<process>(argv);
  const std::string line = node_->wait_for_line("control port");
  std::smatch m;
  if (!std::regex_search(line, m, std::regex(R"(h2 port (\d+) control port (\d+))")))
    throw std::runtime_error("h2_peer.mjs did not start: " + node_->err());
  url_ = "http://127.0.0.1:" + m[1].str();
  control_ = "http://127.0.0.1:" + m[2].str() + "/count";
}

h2_peer::~h2_peer() = default;

h2_peer_counts h2_peer::counts() const {
  const auto answer = http_call("GET", control_);
  if (answer.status != 200) throw std::runtime_error("h2_peer.mjs did not answer its count");
  const auto j = nlohmann::json::parse(answer.body);
  h2_peer_counts c;
  c.sessions = j["sessions"];
  c.streams = j["streams"];
  c.answered = j["answered"];
  c.resets = j["resets"];
  c.goaways = j["goaways"];
  c.max_concurrent = j["max_concurrent"];
  c.client_max_header_list = j.value("client_max_header_list", std::uint64_t{0});
  return c;
}

}  // namespace swarmlet::testing_support
