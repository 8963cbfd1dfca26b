#include "scenario_check.hpp"

#include <algorithm>
#include <optional>
#include <sstream>

#include "common/config/config_error.hpp"
#include "common/config/input_file.hpp"
#include "engine.hpp"
#include "main_script.hpp"
#include "user_class.hpp"

namespace swarmlet::script {

namespace {

/// The limits of the scenario's Lua, as its hub threads have them.
engine_options options_of(const config::scenario& s) {
  engine_options options;
  options.heap_limit = s.scripting.heap_limit;
  options.run_limit = std::chrono::duration_cast<std::chrono::milliseconds>(s.scripting.run_limit);
  return options;
}

/// Loads the class of every scripted user of `s` into `e`.
void load_user_classes(engine& e, const config::scenario& s) {
  for (const auto& u : s.users) {
    if (u.script.empty()) continue;
    const user_class c = load_user_class(e, u.script);
    if (s.load.arrival && c.wait != LUA_NOREF)
      throw script_error(u.script + ": " + config::wait_in_open_model);
  }
}

/// A script error as a scenario error: one line, as every scenario error (Lua lists the places
/// `require` looked on lines of their own).
config::config_error one_line(const script_error& e) {
  std::string message = e.what();
  for (std::size_t at; (at = message.find("\n\t")) != std::string::npos;)
    message.replace(at, 2, "; ");
  return config::config_error(message);
}

}  // namespace

void check_scripts(config::scenario& s, const std::string& base_dir) {
  bool scripted = !s.main_script.empty();
  for (const auto& u : s.users) scripted = scripted || !u.script.empty();
  if (!scripted) return;
  auto read_module = [&](const std::string& name) -> std::optional<std::string> {
    std::string why;
    return config::read_input_file(base_dir + "/" + name, why);
  };
  try {
    engine e(s.scripts, options_of(s), read_module);
    load_user_classes(e, s);
    if (!s.main_script.empty()) load_main_script(e, s.main_script);
    s.scripts = e.files();  // with the modules the scripts required
  } catch (const script_error& e) {
    throw one_line(e);
  }
}

void check_user_classes(const config::scenario& s) {
  const bool scripted =
      std::any_of(s.users.begin(), s.users.end(), [](const auto& u) { return !u.script.empty(); });
  if (!scripted) return;
  try {
    engine e(s.scripts, options_of(s));
    load_user_classes(e, s);
  } catch (const script_error& e) {
    throw one_line(e);
  }
}

}  // namespace swarmlet::script
