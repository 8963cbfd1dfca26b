// libFuzzer target: the scenario loader (YAML, templates, JSONPaths, durations, thresholds, data
// files) must turn any text into a scenario or one config_error, never a crash, a hang or
// another exception. A scenario it accepts must render every template it compiled.
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>

#include "common/config/scenario_loader.hpp"

namespace c = swarmlet::config;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The data files a scenario may name, given as a worker gets them (nothing read from disk).
  static const c::data_file_contents files{{"users.csv", "name,pass\nu1,p1\n\"u,2\",p2\n"},
                                           {"bad.csv", "a,b\n1\n"}};
  const std::string text(reinterpret_cast<const char*>(data), size);
  c::scenario s;
  try {
    s = c::load_scenario_text(text, "fuzz.yaml", files);
  } catch (const c::config_error&) {
    return 0;
  }
  c::user_random rng(1u);
  const std::string value = "v";
  c::render_context ctx{[&](std::string_view) { return &value; }, &rng};
  std::string out;
  auto render_all = [&](const c::request_spec& r) {
    r.path.render_to(ctx, out);
    for (const auto& [name, t] : r.headers) t.render_to(ctx, out);
    for (const auto& [name, t] : r.query) t.render_to(ctx, out);
    if (r.body) r.body->render_to(ctx, out);
    for (const auto& [pointer, t] : r.json_templates) t.render_to(ctx, out);
  };
  for (const auto& u : s.users) {
    for (const auto& r : u.on_start) render_all(r);
    for (const auto& t : u.tasks)
      for (const auto& r : t.steps) render_all(r);
    for (const auto& r : u.on_stop) render_all(r);
  }
  return 0;
}
