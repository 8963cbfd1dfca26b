#pragma once
// --tags and --exclude-tags (Locust's): which tasks of a scenario run.
#include <string>
#include <vector>

#include "config_error.hpp"
#include "scenario.hpp"

namespace swarmlet::config {

/// Keeps the tasks that have one of `tags` (every task when `tags` is empty) and none of
/// `exclude`, a task having its own tags and its user's; a user left with no task is removed
/// (on_start and on_stop have no tags: they run for every user that runs). Records the filter
/// in s.tags and s.exclude_tags. Throws config_error naming a tag that appears nowhere in the
/// scenario (a typo would silently run nothing), or saying that nothing is left to run.
void apply_tag_filter(scenario& s, const std::vector<std::string>& tags,
                      const std::vector<std::string>& exclude);

}  // namespace swarmlet::config
