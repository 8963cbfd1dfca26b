// libFuzzer target: the master's web port, from the bytes of a request to the answer. The
// request parser and every route (JSON and YAML bodies, query strings, posted scenarios) must
// answer any request with a status and, for the API, a JSON body; never crash, hang or throw.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "common/config/scenario_loader.hpp"
#include "common/green/hub.hpp"
#include "common/http/message_parser.hpp"
#include "master/web_api.hpp"

namespace m = swarmlet::master;
namespace h = swarmlet::http;

namespace {

/// A master with one ready worker that does nothing: a start is accepted and its test waits.
struct master_port {
  master_port() {
    m::session_hooks hooks;
    hooks.attach = [](m::test_runner&, const std::string&) {};
    hooks.ready_workers = [] { return 1; };
    session = std::make_unique<m::test_session>(
        std::make_shared<const swarmlet::config::scenario>(swarmlet::config::load_scenario_text(
            "target: http://127.0.0.1:1/\nusers: [{tasks: [{get: /}]}]\n", "s.yaml")),
        "the original yaml", "/nonexistent-scenario-dir", m::runner_options{}, hooks);
    m::web_options options;
    options.bearer_token = "t";
    options.quit = [] {};
    api = std::make_unique<m::web_api>(
        *session, [] { return nlohmann::json::array(); }, options);
  }
  swarmlet::green::hub hub;
  std::unique_ptr<m::test_session> session;
  std::unique_ptr<m::web_api> api;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  h::message_parser parser(h::message_parser::kind::request);
  parser.feed(reinterpret_cast<const char*>(data), size);
  if (!parser.complete()) return 0;
  master_port port;  // a fresh master per request: no state carried between inputs
  h::response res;
  port.api->handle(parser.request(), res);
  if (res.status < 200 || res.status > 599) __builtin_trap();
  const auto type = res.headers.get("content-type");
  if (type && type->find("json") != std::string::npos &&
      nlohmann::json::parse(res.body, nullptr, false).is_discarded())
    __builtin_trap();
  return 0;
}
