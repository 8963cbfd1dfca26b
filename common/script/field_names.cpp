#include "field_names.hpp"

#include <cctype>
#include <string>

namespace swarmlet::script {
namespace {

/// `s` in lower case without underscores: `tearDown`, `tear_down` and `teardown` read alike.
std::string folded(std::string_view s) {
  std::string out;
  for (const char ch : s)
    if (ch != '_') out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

bool swapped_or_one_left_out(std::string_view key, std::string_view field) {
  std::size_t i = 0;
  while (i < key.size() && i < field.size() && key[i] == field[i]) ++i;
  if (key.size() == field.size())
    return i + 1 < key.size() && key[i] == field[i + 1] && key[i + 1] == field[i] &&
           key.substr(i + 2) == field.substr(i + 2);
  return key.size() + 1 == field.size() && key.substr(i) == field.substr(i + 1);
}

}  // namespace

bool mistyped(std::string_view key, std::string_view field) {
  if (key == field || key.size() <= 2) return false;
  return swapped_or_one_left_out(key, field) || folded(key) == folded(field);
}

int line_defined(lua_State* L, int index) {
  if (!lua_isfunction(L, index) || lua_iscfunction(L, index)) return 0;
  lua_Debug ar;
  lua_pushvalue(L, index);
  lua_getinfo(L, ">S", &ar);
  return ar.linedefined > 0 ? ar.linedefined : 0;
}

std::string file_and_line(const std::string& file, int line) {
  return line > 0 ? file + ":" + std::to_string(line) : file;
}

void refuse_mistyped_keys(lua_State* L, int table, const std::string& file, const char* what,
                          std::initializer_list<std::string_view> fields, int line) {
  lua_pushnil(L);
  while (lua_next(L, table) != 0) {
    if (lua_type(L, -2) == LUA_TSTRING) {
      const std::string_view key = lua_tostring(L, -2);
      for (const std::string_view field : fields) {
        if (!mistyped(key, field)) continue;
        const int at = line_defined(L, -1);
        luaL_error(L, "%s: %s '%s': did you mean '%s'?",
                   file_and_line(file, at > 0 ? at : line).c_str(), what, std::string(key).c_str(),
                   std::string(field).c_str());
      }
    }
    lua_pop(L, 1);  // the value
  }
}

}  // namespace swarmlet::script
