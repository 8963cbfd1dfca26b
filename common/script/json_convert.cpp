#include "json_convert.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace swarmlet::script {
namespace {

constexpr int max_depth = 100;
/// What one conversion has made so far, against its bounds.
struct made {
  json_bounds bounds;
  std::size_t values = 0;
  std::size_t string_bytes = 0;
  void add_value() {
    if (++values > bounds.values)
      throw std::invalid_argument("cannot encode as JSON: more than " +
                                  std::to_string(bounds.values) +
                                  " values (a table held many times over?)");
  }
  void add_string(std::size_t bytes) {
    string_bytes += bytes;
    if (string_bytes > bounds.string_bytes)
      throw std::invalid_argument("cannot encode as JSON: more than " +
                                  std::to_string(bounds.string_bytes >> 20) +
                                  " MiB of strings (a string held many times over?)");
  }
};

nlohmann::json convert(lua_State* L, int index, int depth, made& so_far) {
  if (depth > max_depth)
    throw std::invalid_argument("cannot encode as JSON: tables nested deeper than 100 (a cycle?)");
  so_far.add_value();
  switch (lua_type(L, index)) {
    case LUA_TNIL:
      return nullptr;
    case LUA_TBOOLEAN:
      return lua_toboolean(L, index) != 0;
    case LUA_TNUMBER: {
      const lua_Number n = lua_tonumber(L, index);
      // A whole number in int64's range is written in digits, as JavaScript writes those up to
      // 1e21 (9007199254740992, not 9.007199254740992e+15): the double is it exactly.
      if (std::isfinite(n) && n == std::floor(n) && std::fabs(n) < 9.2233720368547758e18)
        return static_cast<std::int64_t>(n);
      return n;
    }
    case LUA_TSTRING: {
      std::size_t len = 0;
      const char* s = lua_tolstring(L, index, &len);
      so_far.add_string(len);
      return std::string(s, len);
    }
    case LUA_TTABLE:
      break;
    default:
      throw std::invalid_argument(std::string("cannot encode a ") + luaL_typename(L, index) +
                                  " as JSON");
  }
  if (index < 0) index = lua_gettop(L) + index + 1;
  const std::size_t n = lua_objlen(L, index);
  std::size_t keys = 0;
  bool array = true;
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    ++keys;
    if (lua_type(L, -2) != LUA_TNUMBER) array = false;
    lua_pop(L, 1);
  }
  if (array && keys == n && n > 0) {
    nlohmann::json out = nlohmann::json::array();
    for (std::size_t i = 1; i <= n; ++i) {
      lua_rawgeti(L, index, static_cast<int>(i));
      out.push_back(convert(L, -1, depth + 1, so_far));
      lua_pop(L, 1);
    }
    return out;
  }
  nlohmann::json out = nlohmann::json::object();
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    std::string key;
    if (lua_type(L, -2) == LUA_TSTRING) {
      key = lua_tostring(L, -2);
    } else if (lua_type(L, -2) == LUA_TNUMBER) {
      lua_pushvalue(L, -2);  // lua_tostring on the key itself would confuse lua_next
      key = lua_tostring(L, -1);
      lua_pop(L, 1);
    } else {
      const char* type = luaL_typename(L, -2);  // a static string: still valid after the pop
      lua_pop(L, 2);
      throw std::invalid_argument(std::string("cannot encode a table with a ") + type +
                                  " key as JSON");
    }
    so_far.add_string(key.size());
    out[key] = convert(L, -1, depth + 1, so_far);
    lua_pop(L, 1);
  }
  return out;
}

}  // namespace

nlohmann::json to_json(lua_State* L, int index, json_bounds bounds) {
  const int top = lua_gettop(L);
  try {
    made so_far{bounds};
    return convert(L, index, 0, so_far);
  } catch (...) {
    lua_settop(L, top);
    throw;
  }
}

void push_json(lua_State* L, const nlohmann::json& j) {
  luaL_checkstack(L, 4, "JSON nested too deep");
  switch (j.type()) {
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded:
      lua_pushnil(L);
      return;
    case nlohmann::json::value_t::boolean:
      lua_pushboolean(L, j.get<bool>() ? 1 : 0);
      return;
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      lua_pushnumber(L, j.get<double>());
      return;
    case nlohmann::json::value_t::string: {
      const auto& s = j.get_ref<const std::string&>();
      lua_pushlstring(L, s.data(), s.size());
      return;
    }
    case nlohmann::json::value_t::binary:
      lua_pushnil(L);
      return;
    case nlohmann::json::value_t::array: {
      lua_createtable(L, static_cast<int>(j.size()), 0);
      int i = 1;
      for (const auto& e : j) {
        push_json(L, e);
        lua_rawseti(L, -2, i++);
      }
      return;
    }
    case nlohmann::json::value_t::object:
      lua_createtable(L, 0, static_cast<int>(j.size()));
      for (auto it = j.begin(); it != j.end(); ++it) {
        lua_pushlstring(L, it.key().data(), it.key().size());
        push_json(L, it.value());
        lua_rawset(L, -3);
      }
      return;
  }
}

}  // namespace swarmlet::script
