#include "scenario_install.hpp"

#include "common/config/scenario_loader.hpp"
#include "common/config/tag_filter.hpp"
#include "common/http/url.hpp"
#include "common/script/scenario_check.hpp"

namespace swarmlet::worker {

std::shared_ptr<const config::scenario> install_scenario(const proto::welcome_payload& welcome) {
  // ${env.NAME} takes the master's values, never this machine's: every worker runs the test
  // the master validated.
  const auto& env = welcome.environment;
  config::scenario loaded =
      config::load_scenario_text(welcome.scenario_yaml, welcome.scenario_name, welcome.files,
                                 [&env](const std::string& name) -> std::optional<std::string> {
                                   auto it = env.find(name);
                                   if (it == env.end()) return std::nullopt;
                                   return it->second;
                                 });
  config::apply_tag_filter(loaded, welcome.tags, welcome.exclude_tags);
  // The modules the scripts require came with them (the master found them when it checked
  // the scripts): every Lua file of the welcome is one `require` may load.
  for (const auto& [name, text] : welcome.files)
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".lua") == 0)
      loaded.scripts.emplace(name, text);
  if (!welcome.target.empty()) {
    std::string error;
    if (!http::parse_url(welcome.target, error))
      throw config::config_error("the master's target: " + error);
    loaded.target = welcome.target;
  }
  if (loaded.target.empty())  // the master gives one (its -H or the scenario's): not this one
    throw config::config_error("the master's scenario has no target");
  // The master loaded the scripts on its machine; their load may differ here (sw.env reads
  // this one's environment). A class that does not load is this worker's refusal of the test
  // (QA: each of its users failed to start, one LUA failure each, and the master was told
  // that every worker had reached its target).
  script::check_user_classes(loaded);
  return std::make_shared<const config::scenario>(std::move(loaded));
}

}  // namespace swarmlet::worker
