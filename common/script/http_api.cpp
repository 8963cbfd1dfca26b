#include "http_api.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "common/config/untrusted_json.hpp"
#include "common/green/errors.hpp"
#include "common/green/timeout.hpp"
#include "common/http/ascii_text.hpp"
#include "common/http/query.hpp"
#include "common/http/request_body.hpp"
#include "common/http/request_syntax.hpp"
#include "common/http/url.hpp"
#include "common/stats/stats_table.hpp"
#include "json_convert.hpp"
#include "lua_guard.hpp"
#include "lua_options.hpp"
#include "lua_seconds.hpp"
#include "lua_udata.hpp"
#include "swarmlet_module.hpp"
#include "user_context.hpp"

namespace swarmlet::script {
namespace {

constexpr const char* http_type = "swarmlet.http";
constexpr const char* response_type = "swarmlet.response";
constexpr const char* headers_type = "swarmlet.headers";

// The upvalues of u.http's request methods: what every request needs, made once per Lua state.
// lua_setfield and luaL_checkudata would intern their key or type name on every call, a few
// hundred instructions each (a tenth of what a scripted request costs in user space).
constexpr int up_method = 1;         // the method (nil for request(), which takes it)
constexpr int up_http_meta = 2;      // u.http's metatable, to check self against
constexpr int up_response_meta = 3;  // the response's metatable
constexpr int up_key_status = 4;     // "status", then "body", "elapsed_ms", "_headers"
constexpr int up_key_body = 5;
constexpr int up_key_elapsed = 6;
constexpr int up_key_headers = 7;
constexpr int up_count = 7;

/// Pushes the key of one of the up_key_ upvalues.
void push_key(lua_State* L, int key_upvalue) {
  lua_pushvalue(L, lua_upvalueindex(key_upvalue));
}

/// Pushes `s` in ASCII lower case (header names are ASCII). Every response pushes each of its
/// header names: no allocation and no locale call per character.
void push_lower(lua_State* L, std::string_view s) {
  char small[64];
  std::string large;
  char* out = small;
  if (s.size() > sizeof small) {
    large.resize(s.size());
    out = large.data();
  }
  for (std::size_t i = 0; i < s.size(); ++i) out[i] = http::ascii_lower(s[i]);
  lua_pushlstring(L, out, s.size());
}

/// A Lua table's string keys with the values at them, sorted by key (a Lua table has no order;
/// forms are sent in a stable one). A table value stays in the table, for the caller to read.
struct lua_field {
  std::string key;
  int type;
  std::string text;  ///< a string or number value
};
std::vector<std::pair<std::string, lua_field>> sorted_fields(lua_State* L, int table,
                                                             const char* what) {
  luaL_checktype(L, table, LUA_TTABLE);
  std::vector<std::pair<std::string, lua_field>> out;
  lua_pushnil(L);
  while (lua_next(L, table) != 0) {
    if (lua_type(L, -2) != LUA_TSTRING)
      luaL_error(L, "%s: keys must be names (strings), got %s", what, luaL_typename(L, -2));
    lua_field f;
    f.key = lua_tostring(L, -2);
    f.type = lua_type(L, -1);
    if (f.type == LUA_TSTRING || f.type == LUA_TNUMBER) {
      f.text = text_at(L, -1, what);
    } else if (f.type == LUA_TBOOLEAN) {  // as a query's flag: true or false
      f.text = lua_toboolean(L, -1) != 0 ? "true" : "false";
    } else if (f.type != LUA_TTABLE) {
      luaL_error(L, "%s.%s must be a string, a number or a boolean, got %s", what, f.key.c_str(),
                 luaL_typename(L, -1));
    }
    out.emplace_back(f.key, std::move(f));
    lua_pop(L, 1);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

/// A random boundary for a multipart body (128 bits: it occurs in no part but by a chance
/// never met), from a generator per hub thread.
std::string multipart_boundary() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  std::string b = "swarmlet-";
  for (int i = 0; i < 2; ++i) {
    std::uint64_t bits = rng();
    for (int d = 0; d < 16; ++d, bits >>= 4) b += hex[bits & 15];
  }
  return b;
}

/// opts.multipart at `table`: {field = "value", upload = {data = "...", filename = "a.png",
/// content_type = "image/png"}}, parts sorted by name.
void append_multipart(lua_State* L, int table, http::request& req) {
  const std::string boundary = multipart_boundary();
  for (const auto& [name, f] : sorted_fields(L, table, "opts.multipart")) {
    if (f.type != LUA_TTABLE) {
      http::append_multipart_part(req.body, boundary, {name, f.text, {}, {}});
      continue;
    }
    lua_getfield(L, table, name.c_str());
    const int part = lua_gettop(L);
    const std::string& part_name = name;  // clang 14 cannot capture a structured binding
    auto field = [&](const char* key) {
      lua_getfield(L, part, key);
      std::string v;
      if (!lua_isnil(L, -1))
        v = text_at(L, -1, ("opts.multipart." + part_name + "." + key).c_str());
      lua_pop(L, 1);
      return v;
    };
    const std::string data = field("data");
    const std::string filename = field("filename");
    const std::string type = field("content_type");
    lua_getfield(L, part, "data");
    if (lua_isnil(L, -1))
      luaL_error(L, "opts.multipart.%s: a file part needs data (its contents)", name.c_str());
    lua_pop(L, 2);
    http::append_multipart_part(req.body, boundary,
                                {name, data, filename.empty() ? name : filename, type});
  }
  http::end_multipart(req.body, boundary);
  if (!req.headers.has("content-type"))
    req.headers.add("Content-Type", http::multipart_content_type(boundary));
}

struct request_options {
  std::string name;
  bool judged_by_script = false;
  bool discard_body = false;  ///< k6's responseType: 'none': the body is counted, not kept
  std::optional<green::duration> timeout;
};

/// Fills `req` from the path and the opts table at `opts` (may be none).
void read_options(lua_State* L, int opts, http::request& req, request_options& o) {
  if (lua_isnoneornil(L, opts)) return;
  // Named by what they are: Lua's "bad argument #3 to 'get'" counts u.http itself, and a
  // field of the options table has no argument number at all.
  if (!lua_istable(L, opts))
    luaL_error(L, "a request's options are a table ({name = ..., headers = ...}), got %s",
               luaL_typename(L, opts));
  check_option_keys(L, opts, "u.http requests",
                    {"name", "headers", "query", "body", "json", "form", "multipart", "timeout",
                     "catch", "discard_body"});
  lua_getfield(L, opts, "name");
  if (!lua_isnil(L, -1)) o.name = text_at(L, -1, "opts.name");
  lua_pop(L, 1);
  // A flag is a boolean: "false" or 0 are true in Lua, and read so they turned catch on.
  const auto flag = [&](const char* field) {
    lua_getfield(L, opts, field);
    if (!lua_isnil(L, -1) && !lua_isboolean(L, -1))
      luaL_error(L, "opts.%s must be true or false, got %s", field, luaL_typename(L, -1));
    const bool on = lua_toboolean(L, -1) != 0;
    lua_pop(L, 1);
    return on;
  };
  o.judged_by_script = flag("catch");
  o.discard_body = flag("discard_body");
  lua_getfield(L, opts, "timeout");
  if (!lua_isnil(L, -1)) o.timeout = limit_seconds_at(L, -1, "opts.timeout");
  lua_pop(L, 1);
  lua_getfield(L, opts, "query");
  if (!lua_isnil(L, -1)) {
    if (!lua_istable(L, -1))
      luaL_error(L, "opts.query must be a table of {name = value}, got %s", luaL_typename(L, -1));
    bool first = req.target.find('?') == std::string::npos;
    lua_pushnil(L);
    while (lua_next(L, -2) != 0) {
      lua_pushvalue(L, -2);
      const std::string key = text_at(L, -1, "a query key");
      // A flag goes as k6 and Python's requests send it (requests writes True): ?t=true.
      if (!lua_isboolean(L, -2) && lua_type(L, -2) != LUA_TSTRING && !lua_isnumber(L, -2))
        luaL_error(L, "a query value must be a string, a number or a boolean, got %s",
                   luaL_typename(L, -2));
      const std::string value = lua_isboolean(L, -2)
                                    ? (lua_toboolean(L, -2) != 0 ? "true" : "false")
                                    : text_at(L, -2, "a query value");
      lua_pop(L, 2);
      req.target += first ? '?' : '&';
      first = false;
      http::append_query_escaped(req.target, key);
      req.target += '=';
      http::append_query_escaped(req.target, value);
    }
  }
  lua_pop(L, 1);
  lua_getfield(L, opts, "headers");
  add_header_table(L, req.headers);
  lua_pop(L, 1);
  lua_getfield(L, opts, "body");
  lua_getfield(L, opts, "json");
  lua_getfield(L, opts, "form");
  lua_getfield(L, opts, "multipart");
  int bodies = 0;
  for (int i = -4; i <= -1; ++i) bodies += lua_isnil(L, i) ? 0 : 1;
  if (bodies > 1) luaL_error(L, "a request takes one body: body, json, form or multipart");
  if (!lua_isnil(L, -4)) {
    req.body = text_at(L, -4, "opts.body");
  } else if (!lua_isnil(L, -3)) {
    req.body = to_json(L, -3).dump();
    if (!req.headers.has("content-type")) req.headers.add("Content-Type", "application/json");
  } else if (!lua_isnil(L, -2)) {
    for (const auto& [k, v] : sorted_fields(L, lua_gettop(L) - 1, "opts.form")) {
      if (v.type == LUA_TTABLE)
        luaL_error(L, "opts.form.%s must be a string, a number or a boolean", k.c_str());
      http::append_form_field(req.body, k, v.text);
    }
    if (!req.headers.has("content-type"))
      req.headers.add("Content-Type", "application/x-www-form-urlencoded");
  } else if (!lua_isnil(L, -1)) {
    append_multipart(L, lua_gettop(L), req);
  }
  lua_pop(L, 4);
}

/// How a YAML request without checks is judged: empty for a success.
std::string default_judgement(const http::result& r) {
  if (!r.ok()) return http::failure_text(r);
  if (r.response.status >= 400) return http::status_failure(r);
  return {};
}

/// One buffer per hub thread, reused: packing a response's headers allocates nothing once warm.
std::string& packed_headers_buffer() {
  thread_local std::string buffer;
  return buffer;
}

/// Writes n as the 4-byte length prefix at `at`; returns the end.
char* put_length(char* at, std::size_t n) {
  const auto n32 = static_cast<std::uint32_t>(n);
  std::memcpy(at, &n32, sizeof n32);
  return at + sizeof n32;
}

/// Packs the headers as length-prefixed names and values into `out` (sized once, then copied).
void pack_headers(const http::header_list& headers, std::string& out) {
  std::size_t size = 0;
  for (const auto& [name, value] : headers.fields())
    size += 2 * sizeof(std::uint32_t) + name.size() + value.size();
  out.resize(size);
  char* at = out.data();
  for (const auto& [name, value] : headers.fields()) {
    at = put_length(at, name.size());
    at = std::copy(name.begin(), name.end(), at);
    at = put_length(at, value.size());
    at = std::copy(value.begin(), value.end(), at);
  }
}

/// Pushes the headers table (lower-case names, any-case lookup) of a packed header string. A
/// repeated header is one entry, its values joined as YAML checks and captures see them
/// (header_list::combined).
void push_headers_table(lua_State* L, std::string_view packed) {
  auto take = [&packed]() {
    std::uint32_t n = 0;
    std::memcpy(&n, packed.data(), sizeof n);
    const std::string_view out = packed.substr(sizeof n, n);
    packed.remove_prefix(sizeof n + n);
    return out;
  };
  http::header_list headers;
  while (packed.size() >= sizeof(std::uint32_t)) {
    const std::string_view name = take();
    const std::string_view value = take();
    headers.add(std::string(name), std::string(value));
  }
  lua_createtable(L, 0, static_cast<int>(headers.fields().size()));
  for (const auto& field : headers.fields()) {
    push_lower(L, field.first);
    lua_pushvalue(L, -1);
    lua_rawget(L, -3);
    const bool set_already = !lua_isnil(L, -1);  // a repeated name, set at its first field
    lua_pop(L, 1);
    if (set_already) {
      lua_pop(L, 1);
      continue;
    }
    const std::string value = *headers.combined(field.first);
    lua_pushlstring(L, value.data(), value.size());
    lua_rawset(L, -3);
  }
  luaL_getmetatable(L, headers_type);
  lua_setmetatable(L, -2);
}

/// Pushes the response table. Only from a request method (it reads the method's upvalues).
void push_response(lua_State* L, const http::result& r, std::uint64_t elapsed_us,
                   std::optional<std::uint64_t> pending) {
  // Sized for its fields: a script that reads r.headers or sets its own pays for the growth.
  lua_createtable(L, 0, 4 + (r.ok() ? 0 : 1) + (pending ? 1 : 0));
  push_key(L, up_key_status);
  lua_pushinteger(L, r.response.status);
  lua_rawset(L, -3);
  push_key(L, up_key_body);
  lua_pushlstring(L, r.response.body.data(), r.response.body.size());
  lua_rawset(L, -3);
  push_key(L, up_key_elapsed);
  lua_pushnumber(L, static_cast<lua_Number>(elapsed_us) / 1000.0);
  lua_rawset(L, -3);
  // The headers as one string; the table r.headers is built from it when first read (most
  // scripts never read it, and a table of lower-cased names per response was a tenth of a
  // scripted request's CPU).
  std::string& packed = packed_headers_buffer();
  pack_headers(r.response.headers, packed);
  push_key(L, up_key_headers);
  lua_pushlstring(L, packed.data(), packed.size());
  lua_rawset(L, -3);
  if (!r.ok()) {
    const std::string e = http::failure_text(r);
    lua_pushlstring(L, e.data(), e.size());
    lua_setfield(L, -2, "error");
  }
  if (pending) {
    lua_pushnumber(L, static_cast<lua_Number>(*pending));
    lua_setfield(L, -2, "_pending");
  }
  lua_pushvalue(L, lua_upvalueindex(up_response_meta));
  lua_setmetatable(L, -2);
}

/// self (argument 1) as u.http; the metatable compare is the fast path of luaL_checkudata.
http_object* check_http(lua_State* L) {
  if (lua_touserdata(L, 1) != nullptr && lua_getmetatable(L, 1) != 0) {
    const bool same = lua_rawequal(L, -1, lua_upvalueindex(up_http_meta)) != 0;
    lua_pop(L, 1);
    if (same) return static_cast<http_object*>(lua_touserdata(L, 1));
  }
  return check_udata<http_object>(L, 1, http_type);  // raises the usual error
}

/// A request cut short by the script (the sw.timeout around it expired, or its green thread
/// was killed) or by setup's time limit is a failure of its name: it was sent, and the server
/// may well have served it.
void count_cut_request(lua_State* L, user_context& user, const std::string& method,
                       const std::string& name, green::time_point sent_at,
                       const std::string& why) noexcept {
  stats::stats_table* table = engine::of(L).stats_of(&user);
  if (table == nullptr) return;
  user.start_lag.reset();
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(green::clock::now() - sent_at);
  try {  // called while the cut unwinds: nothing may replace it
    user.entry_of(*table, method, name).record(static_cast<std::uint64_t>(us.count()), 0, true);
    table->record_error(method, name, why);
  } catch (...) {
  }
}

int send(lua_State* L, const char* method, int path_index, int opts_index) {
  http_object* self = check_http(L);
  if (self->user == nullptr || !self->user->make_client)
    return luaL_error(L, "this u.http belongs to a user that has ended");
  end_task_if_stopping(L);
  user_context& user = *self->user;
  const void* thread = engine::of(L).current();  // this green thread's last response is judged
  user.settle(thread);
  // The user's request object is reused: its strings keep their capacity (no allocation per
  // request once warm). Green threads of one user requesting at once each need their own.
  http::request spare;
  http::request& req = user.request_busy ? spare : user.request;
  req.method = method;
  req.headers.clear();
  req.body.clear();
  struct busy_flag {
    bool& flag;
    bool was;
    ~busy_flag() { flag = was; }
  } busy{user.request_busy, user.request_busy};
  user.request_busy = true;
  std::size_t len = 0;
  const char* path = luaL_checklstring(L, path_index, &len);
  // Anything else went out as written: not a request line HTTP knows ("GET api/x HTTP/1.1").
  const std::string_view p(path, len);
  if (p.rfind('/', 0) != 0 && p.rfind("http://", 0) != 0 && p.rfind("https://", 0) != 0)
    return luaL_error(L, "path '%s' must start with '/' (or be a URL: http[s]://host/...)", path);
  req.target.assign(path, len);
  request_options o;
  read_options(L, opts_index, req, o);
  if (o.name.empty()) o.name = http::without_userinfo(p);  // no password in the reports
  http::result r;
  const green::time_point sent_at = green::clock::now();
  bool wrote = false;  // whether the server may have the request: a cut one counts only then
  try {
    park_scope p(L);
    struct in_flight {  // the user's end waits for it (scripted_user::end_spawned_threads)
      user_context& user;
      explicit in_flight(user_context& u) : user(u) { ++user.requests_in_flight; }
      ~in_flight() {
        --user.requests_in_flight;
        if (!user.request_ended.ready()) user.request_ended.send();
      }
    } counted{user};
    client_lease client(user, req.target);
    client->keep_body(!o.discard_body);
    // In place of http.timeout, longer or shorter (k6's and Locust's per-request timeout): the
    // client's own deadline, so the failure reads as any timeout and counts its HTTP version.
    if (o.timeout) req.timeout = std::chrono::ceil<std::chrono::milliseconds>(*o.timeout);
    r = client->send(req, &wrote);
  } catch (const green::timeout_error& e) {
    // Only the script's own sw.timeout: on_stop's limit, say, is the runner's.
    const thread_info* t = engine::of(L).current();
    if (wrote && t != nullptr &&
        std::find(t->script_timeouts.begin(), t->script_timeouts.end(), e.source()) !=
            t->script_timeouts.end())
      count_cut_request(L, user, req.method, o.name, sent_at,
                        "cancelled: a timeout around it expired (sw.timeout)");
    throw;
  } catch (const green::green_exit&) {
    // Only a kill with a reason (h:kill(), setup's time limit): a spawned thread still
    // requesting when its user ends is let go unsaid.
    const thread_info* t = engine::of(L).current();
    if (wrote && t != nullptr && !t->cut_reason.empty())
      count_cut_request(L, user, req.method, o.name, sent_at, t->cut_reason);
    throw;
  }
  const auto us = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(r.elapsed).count());
  // The open model: the task's first request is charged with how late the task started (the
  // generator's lag, which a target slow to answer earlier arrivals causes), not with what the
  // script did before sending it (QA: an sw.sleep(0.2) read as a 200 ms response).
  const auto lag = std::exchange(user.start_lag, std::nullopt);
  const bool scheduled = lag.has_value();
  const std::uint64_t response_us = scheduled ? us + static_cast<std::uint64_t>(lag->count()) : us;
  std::string failure = default_judgement(r);
  std::optional<std::uint64_t> pending;
  if (stats::stats_table* table = engine::of(L).stats_of(&user)) {
    if (r.version == http::version::http2) {
      ++table->versions().http2;
    } else if (r.version == http::version::http1_1) {
      ++table->versions().http1_1;
    }
    stats::request_stats& entry = user.entry_of(*table, req.method, o.name);
    if (o.judged_by_script) {
      pending = ++user.next_sequence;
      pending_response p;
      p.sequence = *pending;
      p.table = table;
      p.entry = &entry;
      p.method = req.method;
      p.name = o.name;
      p.elapsed_us = response_us;
      p.service_us = us;
      p.scheduled = scheduled;
      p.bytes = r.response.body_bytes;
      p.default_failure = std::move(failure);
      p.thread = thread;
      user.pending.push_back(std::move(p));
    } else {
      if (scheduled) {
        entry.record_scheduled(response_us, us, r.response.body_bytes, !failure.empty());
      } else {
        entry.record(us, r.response.body_bytes, !failure.empty());
      }
      if (!failure.empty()) table->record_error(req.method, o.name, failure);
    }
  }
  push_response(L, r, us, pending);
  return 1;
}

int l_method(lua_State* L) {
  return send(L, lua_tostring(L, lua_upvalueindex(up_method)), 2, 3);
}

int l_request(lua_State* L) {
  std::string method = luaL_checkstring(L, 2);
  for (auto& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (const std::string why = http::check_method(method); !why.empty())
    return luaL_error(L, "%s", why.c_str());
  // Rows of that method are the scripts' errors: its requests would be counted as those.
  if (method == stats::script_error_method)
    return luaL_error(L, "the method %s is reserved: the reports count script errors under it",
                      method.c_str());
  lua_pushstring(L, method.c_str());
  lua_replace(L, 2);
  return send(L, lua_tostring(L, 2), 3, 4);
}

int l_response_json(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_getfield(L, 1, "body");
  std::size_t len = 0;
  const char* body = lua_tolstring(L, -1, &len);
  if (body == nullptr) return luaL_error(L, "the response has no body");
  std::string why;
  const nlohmann::json j = config::parse_untrusted_json({body, len}, &why);
  if (j.is_discarded()) return luaL_error(L, "the response body is %s", why.c_str());
  push_json(L, j);
  return 1;
}

/// r:success() / r:failure(msg): the script's judgement of a response made with catch = true.
int judge(lua_State* L, bool success) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_getfield(L, 1, "_pending");
  if (lua_isnil(L, -1))
    return luaL_error(L,
                      "r:success() and r:failure() judge a response requested with catch = true");
  const auto sequence = static_cast<std::uint64_t>(lua_tonumber(L, -1));
  std::string message = success ? "" : luaL_optstring(L, 2, "failed by the script");
  thread_info* t = engine::of(L).current();
  if (t == nullptr || t->user == nullptr) return 0;
  user_context& user = *t->user;
  // Counted already: a judgement now would be lost without a word.
  pending_response* p = user.pending_numbered(sequence);
  if (p == nullptr)
    return luaL_error(L,
                      "this response was counted already (judged, or by its thread's next "
                      "request or the end of its task): judge a response once, before the next "
                      "request");
  p->default_failure = std::move(message);
  user.settle(p->thread);
  return 0;
}

int l_success(lua_State* L) {
  return judge(L, true);
}
int l_failure(lua_State* L) {
  return judge(L, false);
}

/// r.headers (built on first use, then kept in r) and r's methods (the upvalue).
int l_response_index(lua_State* L) {
  std::size_t len = 0;
  const char* key = lua_type(L, 2) == LUA_TSTRING ? lua_tolstring(L, 2, &len) : nullptr;
  if (key != nullptr && std::string_view(key, len) == "headers") {
    lua_getfield(L, 1, "_headers");
    std::size_t packed_len = 0;
    const char* packed = lua_tolstring(L, -1, &packed_len);
    push_headers_table(
        L, packed == nullptr ? std::string_view() : std::string_view(packed, packed_len));
    lua_pushvalue(L, -1);
    lua_setfield(L, 1, "headers");
    return 1;
  }
  lua_pushvalue(L, 2);
  lua_gettable(L, lua_upvalueindex(1));
  return 1;
}

/// headers[name] for any case of name.
int l_header_index(lua_State* L) {
  if (lua_type(L, 2) != LUA_TSTRING) return 0;
  std::size_t len = 0;
  const char* name = lua_tolstring(L, 2, &len);
  push_lower(L, std::string_view(name, len));
  lua_rawget(L, 1);
  return 1;
}

/// Pushes a request method: `fn` with the up_ upvalues (method: the string, or nil for
/// request()); `http_meta` and `response_meta` are the metatables' stack indices.
void push_request_method(lua_State* L, lua_CFunction fn, const char* method, int http_meta,
                         int response_meta) {
  if (method != nullptr) {
    lua_pushstring(L, method);
  } else {
    lua_pushnil(L);
  }
  lua_pushvalue(L, http_meta);
  lua_pushvalue(L, response_meta);
  for (const char* key : {"status", "body", "elapsed_ms", "_headers"}) lua_pushstring(L, key);
  lua_pushcclosure(L, fn, up_count);
}

}  // namespace

http_object* push_http_object(lua_State* L, user_context* user) {
  luaL_getmetatable(L, http_type);
  const bool made = !lua_isnil(L, -1);
  lua_pop(L, 1);
  if (!made) {
    luaL_newmetatable(L, response_type);
    const int response_meta = lua_gettop(L);
    static const luaL_Reg response_methods[] = {{"json", guarded<l_response_json>},
                                                {"success", guarded<l_success>},
                                                {"failure", guarded<l_failure>},
                                                {nullptr, nullptr}};
    lua_newtable(L);
    luaL_register(L, nullptr, response_methods);
    lua_pushcclosure(L, l_response_index, 1);
    lua_setfield(L, response_meta, "__index");
    luaL_newmetatable(L, http_type);
    const int http_meta = lua_gettop(L);
    hide_metatable(L, http_meta, http_type);
    lua_newtable(L);
    const int methods = lua_gettop(L);
    for (const char* m : {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}) {
      push_request_method(L, guarded<l_method>, m, http_meta, response_meta);
      lua_setfield(L, methods, http::ascii_lowercase(m).c_str());
    }
    push_request_method(L, guarded<l_request>, nullptr, http_meta, response_meta);
    lua_setfield(L, methods, "request");
    lua_setfield(L, http_meta, "__index");
    lua_pop(L, 2);
    luaL_newmetatable(L, headers_type);
    lua_pushcfunction(L, l_header_index);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
  }
  return push_udata<http_object>(L, http_type, http_object{user});
}

}  // namespace swarmlet::script
