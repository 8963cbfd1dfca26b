#include "traceback.hpp"

#include <cstring>
#include <string_view>

namespace swarmlet::script {
namespace {

constexpr int first_frames = 10;  // as luaL_traceback: the innermost ones,
constexpr int last_frames = 11;   // and the outermost ones of a deep stack

std::string frame_line(lua_Debug& ar) {
  std::string line = "\n\t";
  line += ar.short_src;
  if (ar.currentline > 0) line += ":" + std::to_string(ar.currentline);
  line += ": ";
  if (ar.namewhat != nullptr && *ar.namewhat != '\0' && ar.name != nullptr) {
    line += "in function '" + std::string(ar.name) + "'";
  } else if (ar.what != nullptr && *ar.what == 'm') {
    line += "in main chunk";
  } else if (ar.what != nullptr && *ar.what == 'C') {
    line += "in ?";
  } else {
    line +=
        "in function <" + std::string(ar.short_src) + ":" + std::to_string(ar.linedefined) + ">";
  }
  return line;
}

bool is_c(lua_Debug& ar) {
  return ar.what != nullptr && std::strcmp(ar.what, "C") == 0;
}

/// The number of frames on `L`'s stack. lua_getstack walks from the top, so the levels are
/// probed by bisection rather than one by one (a stack overflow leaves thousands of frames).
int stack_depth(lua_State* L) {
  lua_Debug ar;
  int known = 0, beyond = 1;  // level `known` - 1 exists (or none), level `beyond` does not
  while (lua_getstack(L, beyond - 1, &ar) != 0) {
    known = beyond;
    beyond *= 2;
  }
  while (beyond - known > 1) {
    const int mid = known + (beyond - known) / 2;
    if (lua_getstack(L, mid - 1, &ar) != 0) {
      known = mid;
    } else {
      beyond = mid;
    }
  }
  return known;
}

}  // namespace

std::string traceback(lua_State* L, int level) {
  lua_Debug ar;
  // Past the C functions at the top: the first frame shown is the script's.
  for (; lua_getstack(L, level, &ar) != 0; ++level) {
    if (lua_getinfo(L, "Sln", &ar) == 0 || !is_c(ar)) break;
  }
  const int depth = stack_depth(L);
  if (depth <= level) return {};
  std::string out = "stack traceback:";
  for (int l = level; l < depth; ++l) {
    if (l == level + first_frames && depth - l > last_frames) {
      out += "\n\t...";
      l = depth - last_frames;
    }
    if (lua_getstack(L, l, &ar) == 0 || lua_getinfo(L, "Sln", &ar) == 0) continue;
    out += frame_line(ar);
  }
  return out;
}

}  // namespace swarmlet::script
