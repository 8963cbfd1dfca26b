# Writes OUT, a C++ file holding FILES as byte arrays for web/ui_files.hpp. Run by the build
# (cmake -P). FILES is "URL_PATH|SOURCE_FILE" entries joined by "^" (a list's ";" would not
# survive the command line); the content type follows the URL's extension.
set(arrays "")
set(table "")
set(index 0)
string(REPLACE "^" ";" entries "${FILES}")
foreach(entry IN LISTS entries)
  string(REPLACE "|" ";" parts "${entry}")
  list(GET parts 0 url)
  list(GET parts 1 source)
  if(url MATCHES "\\.js$")
    set(type "text/javascript; charset=utf-8")
  elseif(url MATCHES "\\.css$")
    set(type "text/css; charset=utf-8")
  else()
    set(type "text/html; charset=utf-8")
  endif()
  file(READ "${source}" hex HEX)
  string(LENGTH "${hex}" hex_length)
  math(EXPR size "${hex_length} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REGEX REPLACE "((0x..,){32})" "\\1\n" bytes "${bytes}")
  string(APPEND arrays "const unsigned char file_${index}[] = {\n${bytes}0};\n")
  string(APPEND table "    {\"${url}\", \"${type}\", {reinterpret_cast<const char*>(file_${index}), ${size}}},\n")
  math(EXPR index "${index} + 1")
endforeach()
file(WRITE "${OUT}.tmp" "// Made by web/embed_files.cmake from web/ui and node_modules: do not edit.
#include \"web/ui_files.hpp\"

namespace swarmlet::web {
namespace {
${arrays}
const ui_file files[] = {
${table}};
}  // namespace

const ui_file* find_ui_file(std::string_view path) {
  for (const auto& f : files)
    if (f.path == path) return &f;
  return nullptr;
}

}  // namespace swarmlet::web
")
file(RENAME "${OUT}.tmp" "${OUT}")
