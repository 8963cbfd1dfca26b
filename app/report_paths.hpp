#pragma once
// Report files are checked before a test starts, so a typo in --json costs a second, not a
// test's run time.
#include <optional>
#include <string>
#include <vector>

#include "common/config/scenario.hpp"

namespace swarmlet::app {

/// Why `file` cannot be written now, in a few words ("/a/b is not a directory", "Permission
/// denied"), or nothing when it can: it is absent or a writable file, and its directory is a
/// writable one or can be made (its nearest existing ancestor is a writable directory), as the
/// report writers make it. Creates nothing. Root passes permission checks, as it would writing.
std::optional<std::string> why_unwritable(const std::string& file);

/// Every file `report` asks for: PREFIX_stats.csv, PREFIX_failures.csv, PREFIX_exceptions.csv
/// and PREFIX_stats_history.csv for its CSV prefix, its JSON and HTML files.
std::vector<std::string> report_files(const config::report_spec& report);

/// A one-line error naming the first report file that cannot be written and why, or nothing
/// when all of them can.
std::optional<std::string> check_report_files(const config::report_spec& report);

}  // namespace swarmlet::app
