#pragma once
// Whether a name a script gave is one swarmlet reads, mistyped: a class's `on_strat`, a task's
// `wieght`, main.lua's `tearDown`. Such a field would be ignored (on_stop or teardown never
// running), so the loaders refuse it with "did you mean ...?". Near names that are likely the
// script's own (`want`, `names`, `height`) are not matched.
#include <string_view>

namespace swarmlet::script {

/// Whether `key` is `field` with two neighbouring letters swapped (`on_strat`), one letter left
/// out (`task`, `on_stp`), or written in another case or with other underscores (`onStart`,
/// `tearDown`, `set_up`); never `field` itself.
bool mistyped(std::string_view key, std::string_view field);

}  // namespace swarmlet::script
