#pragma once
// CSV data files that feed users (one row per user or iteration): a header row of column
// names, then rows; RFC 4180 quoting ("a ""quoted"" field", commas inside quotes). A UTF-8 byte
// order mark at the start is skipped.
#include <string>
#include <vector>

namespace swarmlet::config {

/// Reads `path`; throws std::runtime_error naming the file and line when it is unreadable,
/// empty, or a row's width differs from the header's.
void read_csv_file(const std::string& path, std::vector<std::string>& columns,
                   std::vector<std::vector<std::string>>& rows);
/// The same from text (`name` stands for the file in messages).
void parse_csv(const std::string& text, const std::string& name, std::vector<std::string>& columns,
               std::vector<std::vector<std::string>>& rows);

}  // namespace swarmlet::config
