// libFuzzer target: the CSV reader of data files. Any text gives columns and rows of exactly as
// many fields, or one std::runtime_error naming the file; nothing else.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/config/csv_data.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
  try {
    swarmlet::config::parse_csv(text, "fuzz.csv", columns, rows);
  } catch (const std::runtime_error& e) {
    if (std::string(e.what()).find("fuzz.csv") == std::string::npos) __builtin_trap();
    return 0;
  }
  if (columns.empty()) __builtin_trap();
  for (const auto& row : rows)
    if (row.size() != columns.size()) __builtin_trap();
  return 0;
}
