#include "csv_data.hpp"

#include <algorithm>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string_view>

#include "input_file.hpp"

namespace swarmlet::config {

void parse_csv(const std::string& text, const std::string& name, std::vector<std::string>& columns,
               std::vector<std::vector<std::string>>& rows) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  bool quoted = false, field_started = false;
  int line = 1;
  int record_line = 1;            // where the record being read began
  int quote_line = 1;             // where the last quoted field opened
  std::vector<int> record_lines;  // where each of `records` began, for errors
  // Spreadsheets save "CSV UTF-8" with a byte order mark; it is not part of the first column's
  // name.
  const std::size_t start = text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
  // Spreadsheets also save "Unicode text" (UTF-16, with its byte order mark): read as bytes,
  // every other byte is a NUL, and the error was a row's width ("data row 1 has 1 fields").
  if (text.compare(0, 2, "\xFF\xFE") == 0 || text.compare(0, 2, "\xFE\xFF") == 0)
    throw std::runtime_error(name +
                             ": the data file is UTF-16 (its byte order mark says so): save it "
                             "as UTF-8 (\"CSV UTF-8\")");
  for (std::size_t i = start; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
    } else if (c == '"' && !field_started) {
      quoted = field_started = true;
      quote_line = line;
    } else if (c == ',') {
      record.push_back(std::move(field));
      field.clear();
      field_started = false;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      record.push_back(std::move(field));
      field.clear();
      field_started = false;
      if (!(record.size() == 1 && record[0].empty())) {
        records.push_back(std::move(record));
        record_lines.push_back(record_line);
      }
      record.clear();
      ++line;
      record_line = line;
    } else {
      field += c;
      field_started = true;
    }
  }
  if (quoted)
    throw std::runtime_error(name + ":" + std::to_string(quote_line) +
                             ": a quoted field opens here and never closes");
  if (field_started || !record.empty()) {
    record.push_back(std::move(field));
    records.push_back(std::move(record));
    record_lines.push_back(record_line);
  }
  if (records.empty())
    throw std::runtime_error(name + ": no header row (column names) in the data file");
  // A spreadsheet's export may end every line with a comma: an unnamed last column that is
  // empty in every row is no column.
  if (records[0].size() > 1 && records[0].back().empty() &&
      std::all_of(records.begin() + 1, records.end(),
                  [&](const auto& r) { return r.size() == records[0].size() && r.back().empty(); }))
    for (auto& r : records) r.pop_back();
  columns = std::move(records[0]);
  // A name given twice, or none, could never be told apart in ${data.NAME}: one column would
  // be silently unused.
  std::map<std::string_view, std::size_t> seen;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].empty())
      throw std::runtime_error(name + ":" + std::to_string(record_lines[0]) + ": column " +
                               std::to_string(i + 1) + " of the header has no name");
    if (const auto [at, first] = seen.try_emplace(columns[i], i); !first)
      throw std::runtime_error(name + ":" + std::to_string(record_lines[0]) + ": column '" +
                               columns[i] + "' is named twice in the header (columns " +
                               std::to_string(at->second + 1) + " and " + std::to_string(i + 1) +
                               ")");
  }
  rows.assign(records.begin() + 1, records.end());
  for (std::size_t r = 0; r < rows.size(); ++r)
    if (rows[r].size() != columns.size())
      throw std::runtime_error(name + ":" + std::to_string(record_lines[r + 1]) + ": data row " +
                               std::to_string(r + 1) + " has " + std::to_string(rows[r].size()) +
                               " fields, the header has " + std::to_string(columns.size()));
  if (rows.empty()) throw std::runtime_error(name + ": the data file has a header but no rows");
}

void read_csv_file(const std::string& path, std::vector<std::string>& columns,
                   std::vector<std::vector<std::string>>& rows) {
  std::string why;
  const auto text = read_input_file(path, why);
  if (!text) throw std::runtime_error("cannot read data file " + path + ": " + why);
  parse_csv(*text, path, columns, rows);
}

}  // namespace swarmlet::config
