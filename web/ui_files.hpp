#pragma once
// The web UI's files (web/ui/ and uPlot from the npm registry), embedded into the binary by the
// build (web/embed_files.cmake): the master serves them with nothing to fetch at run time.
#include <string_view>

namespace swarmlet::web {

struct ui_file {
  std::string_view path;  ///< as requested: "/" is the page
  std::string_view content_type;
  std::string_view body;
};

/// The file served at `path`, or null.
const ui_file* find_ui_file(std::string_view path);

}  // namespace swarmlet::web
