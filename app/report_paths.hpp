#pragma once
// Report files are checked before a test starts, so a typo in --json costs a second, not a
// test's run time, and a report never replaces a file the test reads or a device.
#include <optional>
#include <string>
#include <vector>

#include "common/config/scenario.hpp"

namespace swarmlet::app {

/// Why `file` cannot be written now, in a few words ("/a/b is not a directory", "Permission
/// denied"), or nothing when it can: it is absent or a writable regular file (the writers
/// rename a new file over it: a device or FIFO there would be replaced), and a file can be
/// made in its directory, or, when that does not exist yet, in its nearest existing ancestor
/// (the writers make the rest). That is tried by making and removing an empty file, because
/// access() lets root "write" where nothing can be made (/proc, /sys). Leaves nothing behind.
std::optional<std::string> why_unwritable(const std::string& file);

/// Every file `report` asks for: PREFIX_stats.csv, PREFIX_failures.csv, PREFIX_exceptions.csv
/// and PREFIX_stats_history.csv for its CSV prefix, its JSON and HTML files.
std::vector<std::string> report_files(const config::report_spec& report);

/// The files the test reads from disk: `scenario_file` and what it names (data, scripts,
/// TLS and body files), as paths next to it.
std::vector<std::string> input_files(const config::scenario& s, const std::string& scenario_file);

/// A one-line error naming the first report file that cannot be written and why (it is one of
/// `inputs`, or another report's file too), or nothing when all of them can.
std::optional<std::string> check_report_files(const config::report_spec& report,
                                              const std::vector<std::string>& inputs = {});

}  // namespace swarmlet::app
