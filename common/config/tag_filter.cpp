#include "tag_filter.hpp"

#include <algorithm>
#include <set>

namespace swarmlet::config {
namespace {

bool has_any(const std::vector<std::string>& have, const std::vector<std::string>& wanted) {
  return std::any_of(wanted.begin(), wanted.end(), [&](const std::string& t) {
    return std::find(have.begin(), have.end(), t) != have.end();
  });
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& t : v) out += (out.empty() ? "" : " ") + t;
  return out;
}

}  // namespace

void apply_tag_filter(scenario& s, const std::vector<std::string>& tags,
                      const std::vector<std::string>& exclude) {
  if (tags.empty() && exclude.empty()) return;
  std::set<std::string> known;
  for (const auto& u : s.users) {
    known.insert(u.tags.begin(), u.tags.end());
    for (const auto& t : u.tasks) known.insert(t.tags.begin(), t.tags.end());
  }
  auto check_known = [&](const std::vector<std::string>& given, const char* flag) {
    for (const auto& tag : given) {
      if (known.count(tag)) continue;
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      // A script's task tables may carry fields of its own, `tags` among them: only the
      // scenario's tags select.
      const bool scripted = std::any_of(s.users.begin(), s.users.end(),
                                        [](const user_spec& u) { return !u.script.empty(); });
      throw config_error(std::string(flag) + ": no task or user of " + s.file + " has the tag '" +
                         tag + "' (" + (known.empty() ? "it has no tags" : "its tags: " + list) +
                         (scripted ? "; a scripted user's tags go on it in the scenario, users: "
                                     "[{script: ..., tags: [...]}], not in its Lua tasks"
                                   : "") +
                         ")");
    }
  };
  check_known(tags, "--tags");
  check_known(exclude, "--exclude-tags");
  auto selected = [&](const std::vector<std::string>& t) {
    return (tags.empty() || has_any(t, tags)) && !has_any(t, exclude);
  };
  for (auto& u : s.users)
    std::erase_if(u.tasks, [&](const task_spec& t) { return !selected(t.tags); });
  // A scripted user's tasks are in its script: the user's own tags decide for it.
  std::erase_if(s.users, [&](const user_spec& u) {
    return u.script.empty() ? u.tasks.empty() : !selected(u.tags);
  });
  if (s.users.empty()) {
    std::string flags;
    if (!tags.empty()) flags += "--tags " + joined(tags);
    if (!exclude.empty())
      flags += (flags.empty() ? "" : " ") + ("--exclude-tags " + joined(exclude));
    throw config_error(flags + " leaves no task to run in " + s.file);
  }
  s.tags = tags;
  s.exclude_tags = exclude;
}

}  // namespace swarmlet::config
