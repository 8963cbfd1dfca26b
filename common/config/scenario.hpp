#pragma once
// A load test as the scenario file describes it, after validation: everything here is known
// to be well-formed, so the worker and master never re-check it.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "arrival_plan.hpp"
#include "checks.hpp"
#include "json_path.hpp"
#include "template_string.hpp"
#include "threshold.hpp"

namespace swarmlet::config {

using std::chrono::microseconds;

struct source_location {
  std::string file;
  int line = 0;
  int column = 0;
  std::string str() const {
    return file + ":" + std::to_string(line) + ":" + std::to_string(column);
  }
};

/// A WebSocket step (method "WS"): `ws: /path` opens the user's WebSocket (its path, query and
/// headers are the request_spec's), `send:` sends a message (body or json), `expect:` waits for
/// a message matching `check` (body_contains, not_contains, body_regex, json), `close` closes.
struct ws_step {
  enum class action { open, send, expect, close };
  action what = action::open;
  bool expects = false;  ///< send: then waits for a matching reply (the exchange's time)
  std::optional<microseconds> timeout;  ///< expect: how long to wait; none: http.timeout
  /// The step's name is a suffix ("send", "expect") of the open WebSocket's name.
  bool derived_name = false;
  std::size_t max_message = std::size_t{1} << 20;  ///< open: longest message taken, in bytes
  std::uint16_t close_code = 1000;                 ///< close
};

/// Whether a WebSocket close may carry `code` (RFC 6455 7.4): 1000-1003, 1007-1014 (IANA's
/// registry) and 3000-4999. 1005, 1006 and 1015 say "none was sent", "the connection dropped"
/// and "TLS failed", and must never be sent; 1004 and 1016-2999 are reserved.
constexpr bool sendable_close_code(long long code) noexcept {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}
inline constexpr const char* sendable_close_codes = "1000-1003, 1007-1014 or 3000-4999";

/// Why a user's wait (a YAML class's, a script class's) is refused in the open model: it would
/// be read, and never used.
inline constexpr const char* wait_in_open_model =
    "wait has no effect in the open model (load.arrival_rate: each iteration starts at its "
    "arrival): leave it out";

/// One part of a `multipart:` body: a field (value) or a file shipped with the scenario.
struct multipart_spec {
  std::string name;
  template_string value;     ///< a field's value
  std::string file;          ///< a file part: its name in the scenario (empty: a field)
  std::string contents;      ///< a file part: the file, read when the scenario was loaded
  std::string filename;      ///< sent as the part's filename (the file's own name by default)
  std::string content_type;  ///< empty: none for a field, application/octet-stream for a file
};

/// One step of a task: an HTTP request, or a WebSocket step (`ws` set).
struct request_spec {
  std::string method = "GET";
  template_string path;
  std::string name;  ///< stats name: `name:` or the path as written
  std::vector<std::pair<std::string, template_string>> headers;
  std::vector<std::pair<std::string, template_string>> query;
  std::optional<template_string> body;
  /// Body as JSON, keys in the order written, string leaves templated.
  std::optional<nlohmann::ordered_json> json;
  std::vector<std::pair<nlohmann::ordered_json::json_pointer, template_string>> json_templates;
  /// Body as an HTML form: `form:` (urlencoded) or `multipart:` (multipart/form-data).
  std::vector<std::pair<std::string, template_string>> form;
  std::vector<multipart_spec> multipart;
  check_spec check;
  std::vector<capture_spec> captures;
  /// on_failure of the step, else of its task, else of its user; else end_task (stop_user in
  /// on_start).
  failure_action on_failure = failure_action::end_task;
  source_location where;
  std::optional<ws_step> ws;
  bool keeps_body() const noexcept { return check.keeps_body() || !captures.empty(); }
};

/// A weighted task: requests run in order.
struct task_spec {
  int weight = 1;
  std::vector<request_spec> steps;
  std::vector<std::string> tags;  ///< its own and its user's (Locust's inheritance)
};

struct wait_spec {
  enum class kind { none, constant, between, pacing, throughput };
  kind type = kind::none;
  microseconds a{0}, b{0};  ///< constant: a; between: [a, b]; pacing: a (task start to start)
  double per_second = 0;    ///< throughput: task starts per second per user
};

struct data_spec {
  std::string file;
  /// sequential: user k (its global ${user_id}) gets row (k-1) mod rows, for all its
  /// iterations; random: a random row per iteration; unique: every iteration takes a row that
  /// no other iteration of the whole test gets, and a user that finds none left stops.
  enum class order { sequential, random, unique } mode = order::sequential;
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
};

/// The longest user class name: a master's spawn commands and a worker's reports carry it, and
/// take no longer name (proto: an id's length), so the loader refuses one (a longer one ran no
/// user: every worker dropped the spawn command).
inline constexpr std::size_t max_user_name_bytes = 256;

struct user_spec {
  std::string name;
  int weight = 1;
  wait_spec wait;
  std::vector<request_spec> on_start;
  std::vector<task_spec> tasks;
  std::vector<request_spec> on_stop;
  std::optional<data_spec> data;
  std::vector<std::string> tags;  ///< given to each of its tasks
  /// A scripted user: the Lua file that returns its class (on_start, tasks and on_stop then
  /// come from the script; the file's text is in scenario::scripts).
  std::string script;
};

struct stage_spec {
  microseconds duration{0};
  int users = 0;
  double spawn_rate = 0;  ///< 0: keep the previous stage's rate
  double rate = -1;       ///< open model: iterations per second in this stage
};

/// The open model (k6's constant/ramping arrival rate): iterations start on a schedule,
/// whatever the target's latency; each runs on an idle pre-allocated user.
struct arrival_spec {
  double rate = 1;      ///< iterations per second
  int max_users = 100;  ///< users that may exist at once; an arrival with none idle is dropped
  /// Without stages: the plan the whole run follows.
  arrival_plan plan() const noexcept { return arrival_plan::constant(rate, max_users); }
};

struct load_spec {
  int users = 1;
  double spawn_rate = 1;
  std::optional<microseconds> run_time;  ///< none: until stopped
  std::vector<stage_spec> stages;  ///< when present, they drive users (or rates) and the run time
  std::optional<arrival_spec> arrival;  ///< set: the open model
};

struct report_spec {
  std::string csv_prefix;
  std::string html_file;
  std::string json_file;
};

struct http_spec {
  microseconds connect_timeout{std::chrono::seconds(10)};
  microseconds timeout{std::chrono::seconds(30)};
  /// The longest stopped users may take to end: the request in flight (its connect, then the
  /// request), then on_stop (bounded as a whole by `timeout`). A worker waits this long for
  /// them before its final report, so what they did is in it.
  microseconds stop_drain() const noexcept { return connect_timeout + 2 * timeout; }
  bool verify_tls = true;
  int max_redirects = 5;
  /// automatic: HTTP/2 when an https server offers it by ALPN, else HTTP/1.1 (http:// is
  /// HTTP/1.1); http2: h2 by ALPN, or h2c by prior knowledge on http://.
  enum class protocol { automatic, http1_1, http2 } version = protocol::automatic;
  /// TLS files as the scenario names them (relative to it; their text is in scenario::files):
  /// CAs trusted besides the system's, the certificate and key shown to servers that ask (mTLS).
  std::string ca_file, client_cert, client_key;
  /// SNI and the name verified in the target host's certificate (empty: the host).
  std::string server_name;
};

/// How host names resolve (see common/green/dns_resolver).
struct dns_spec {
  std::vector<std::string> servers;  ///< "IP" or "IP:PORT" ("[IPv6]:PORT"); none: the system's
  microseconds max_ttl{std::chrono::minutes(5)};  ///< longest an answer is reused
  /// Which of a name's addresses a connection tries first (green::dns_select).
  enum class selection { round_robin, first, random } select = selection::round_robin;
};

struct stats_spec {
  /// Request names kept per test; beyond, requests count as "(other names)" (see stats_table).
  std::size_t max_names = 10'000;
};

/// Limits of the Lua scripts (per hub thread).
struct scripting_spec {
  microseconds run_limit{std::chrono::seconds(1)};  ///< Lua running without parking
  std::size_t heap_limit = std::size_t{512} << 20;  ///< bytes of Lua heap
  /// How long main.lua's setup() and teardown() may take, requests included (k6's defaults).
  microseconds setup_timeout{std::chrono::seconds(60)};
  microseconds teardown_timeout{std::chrono::seconds(60)};
};

/// Data files by the name the scenario gives them, with their contents (scripts, bodies and
/// TLS files too: what the master ships to the workers with the scenario).
using data_file_contents = std::map<std::string, std::string>;

struct scenario {
  /// The file the scenario was read from. One posted through the master's API keeps the
  /// master's file here (the welcome and the reports' download names take it), and is `posted`.
  std::string file;
  /// It came through the API (POST /api/start), not from `file`: the reports name no file.
  bool posted = false;
  std::string target;  ///< base URL
  load_spec load;
  std::vector<user_spec> users;
  std::vector<threshold> thresholds;
  report_spec report;
  http_spec http;
  dns_spec dns;
  stats_spec stats;
  /// The ${env.NAME} values the scenario used, as found where it was loaded: the master sends
  /// them to its workers, so every user sees the master's values.
  std::map<std::string, std::string> environment;
  /// The --tags / --exclude-tags filter applied (see tag_filter.hpp), for the workers.
  std::vector<std::string> tags, exclude_tags;
  /// Script files by the name the scenario gives them -> their text: the users' classes and,
  /// once checked on the master, the modules they require.
  std::map<std::string, std::string> scripts;
  /// Other files the scenario ships to its workers, by the name it gives them -> their text:
  /// TLS certificates and keys, files of multipart bodies.
  std::map<std::string, std::string> files;
  /// The scenario's own script (`script: main.lua`; its text is in scripts): setup() before
  /// the users start and teardown() after they stop, on the master. Empty: none.
  std::string main_script;
  scripting_spec scripting;

  /// The longest stopped users may take to end (http.stop_drain()), where a WebSocket
  /// `expect:` in flight may wait longer than `http.timeout`: its own timeout bounds it. Cut
  /// sooner, an expect that never got its message was counted nowhere, and a test against a
  /// server that never answers passed.
  microseconds stop_drain() const noexcept {
    microseconds longest_step = http.timeout;
    const auto scan = [&](const std::vector<request_spec>& steps) {
      for (const auto& step : steps)
        if (step.ws && step.ws->timeout) longest_step = std::max(longest_step, *step.ws->timeout);
    };
    for (const auto& u : users) {
      scan(u.on_start);
      for (const auto& t : u.tasks) scan(t.steps);
      scan(u.on_stop);
    }
    return http.stop_drain() - http.timeout + longest_step;
  }
};

}  // namespace swarmlet::config
