#include "scenario_check.hpp"

#include <optional>
#include <sstream>

#include "common/config/config_error.hpp"
#include "common/config/input_file.hpp"
#include "engine.hpp"
#include "main_script.hpp"
#include "user_class.hpp"

namespace swarmlet::script {

void check_scripts(config::scenario& s, const std::string& base_dir) {
  bool scripted = !s.main_script.empty();
  for (const auto& u : s.users) scripted = scripted || !u.script.empty();
  if (!scripted) return;
  auto read_module = [&](const std::string& name) -> std::optional<std::string> {
    std::string why;
    return config::read_input_file(base_dir + "/" + name, why);
  };
  engine_options options;
  options.heap_limit = s.scripting.heap_limit;
  options.run_limit = std::chrono::duration_cast<std::chrono::milliseconds>(s.scripting.run_limit);
  try {
    engine e(s.scripts, options, read_module);
    for (const auto& u : s.users) {
      if (u.script.empty()) continue;
      const user_class c = load_user_class(e, u.script);
      if (s.load.arrival && c.wait != LUA_NOREF)
        throw script_error(u.script + ": " + config::wait_in_open_model);
    }
    if (!s.main_script.empty()) load_main_script(e, s.main_script);
    s.scripts = e.files();  // with the modules the scripts required
  } catch (const script_error& e) {
    // One line, as every scenario error: a script's own message may have several.
    std::string message = e.what();
    for (std::size_t at; (at = message.find("\n\t")) != std::string::npos;)
      message.replace(at, 2, "; ");
    throw config::config_error(message);
  }
}

}  // namespace swarmlet::script
