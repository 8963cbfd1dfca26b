#include "scenario_loader.hpp"

#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "common/http/url.hpp"
#include "duration.hpp"
#include "input_file.hpp"
#include "request_reader.hpp"
#include "scenario_reader.hpp"
#include "ws_step_reader.hpp"

namespace swarmlet::config {
namespace {

using loading::read_failure_action;
using loading::read_tags;
using loading::reader;

/// A step of a task or of on_start/on_stop: a request, or a WebSocket step.
request_spec read_step(const reader& r, const YAML::Node& n, bool as_task,
                       failure_action inherited) {
  if (loading::is_ws_step(n)) return loading::read_ws_step(r, n, as_task, inherited);
  return loading::read_request(r, n, as_task, inherited);
}

std::vector<request_spec> read_steps(const reader& r, const YAML::Node& n, const std::string& what,
                                     failure_action inherited) {
  r.expect_list(n, what);
  std::vector<request_spec> out;
  for (const auto& step : n) out.push_back(read_step(r, step, false, inherited));
  return out;
}

task_spec read_task(const reader& r, const YAML::Node& n, const user_spec& user,
                    failure_action user_default) {
  r.expect_map(n, "a task");
  task_spec t;
  if (n["steps"]) {
    r.check_keys(n, {"weight", "steps", "on_failure", "tags"}, "a task with steps");
    const failure_action task_default =
        n["on_failure"] ? read_failure_action(r, n["on_failure"]) : user_default;
    t.steps = read_steps(r, n["steps"], "steps", task_default);
    if (t.steps.empty()) r.fail(n["steps"], "steps must not be empty");
  } else {
    t.steps.push_back(read_step(r, n, true, user_default));
  }
  if (n["weight"]) t.weight = static_cast<int>(r.integer(n["weight"], "weight", 1, 1'000'000));
  if (n["tags"]) t.tags = read_tags(r, n["tags"]);
  for (const auto& tag : user.tags)
    if (std::find(t.tags.begin(), t.tags.end(), tag) == t.tags.end()) t.tags.push_back(tag);
  return t;
}

wait_spec read_wait(const reader& r, const YAML::Node& n) {
  r.expect_map(n, "wait");
  r.check_keys(n, {"constant", "between", "pacing", "throughput"}, "wait");
  if (n.size() != 1) r.fail(n, "wait takes exactly one of constant, between, pacing, throughput");
  wait_spec w;
  if (n["constant"]) {
    w.type = wait_spec::kind::constant;
    w.a = r.duration(n["constant"], "wait.constant");
  } else if (const auto b = n["between"]) {
    if (!b.IsSequence() || b.size() != 2)
      r.fail(b, "wait.between must be a list of two durations, e.g. [500ms, 1500ms]");
    w.type = wait_spec::kind::between;
    w.a = r.duration(b[0], "wait.between");
    w.b = r.duration(b[1], "wait.between");
    if (w.b < w.a) r.fail(b, "wait.between needs the shorter duration first");
  } else if (n["pacing"]) {
    w.type = wait_spec::kind::pacing;
    w.a = r.duration(n["pacing"], "wait.pacing");
  } else {
    w.type = wait_spec::kind::throughput;
    w.per_second =
        r.number(n["throughput"], "wait.throughput (task starts per second per user)", 1e-6, 1e6);
  }
  return w;
}

user_spec read_user(const reader& r, const YAML::Node& n, std::size_t index,
                    std::map<std::string, std::string>& scripts) {
  r.expect_map(n, "a user");
  user_spec u;
  if (const auto script = n["script"]) {
    // A scripted user: its class (on_start, tasks, on_stop) is the script's.
    r.check_keys(n, {"name", "weight", "wait", "script", "data", "tags"}, "a scripted user");
    u.script = r.text(script, "script");
    if (u.script.size() < 5 || u.script.compare(u.script.size() - 4, 4, ".lua") != 0)
      r.fail(script, "script must name a Lua file (name.lua), got '" + u.script + "'");
    try {
      scripts[u.script] = r.read_script(u.script);
    } catch (const std::runtime_error& e) {
      r.fail(script, e.what());
    }
  } else {
    r.check_keys(n,
                 {"name", "weight", "wait", "on_start", "tasks", "on_stop", "data", "on_failure",
                  "tags", "script"},
                 "a user");
  }
  u.name = n["name"] ? r.text(n["name"], "name") : "user" + std::to_string(index + 1);
  if (u.name.size() > max_user_name_bytes)
    r.fail(n["name"], "name: at most " + std::to_string(max_user_name_bytes) +
                          " bytes (the workers' reports carry it), got " +
                          std::to_string(u.name.size()));
  if (n["weight"]) u.weight = static_cast<int>(r.integer(n["weight"], "weight", 1, 1'000'000));
  if (n["wait"]) u.wait = read_wait(r, n["wait"]);
  if (n["tags"]) u.tags = read_tags(r, n["tags"]);
  if (u.script.empty()) {
    // A user's on_failure is the default of its tasks; on_start stops the user unless a step
    // says otherwise (Locust's StopUser), and a failure in on_stop ends on_stop.
    const failure_action task_default =
        n["on_failure"] ? read_failure_action(r, n["on_failure"]) : failure_action::end_task;
    if (n["on_start"])
      u.on_start = read_steps(r, n["on_start"], "on_start", failure_action::stop_user);
    if (n["on_stop"]) u.on_stop = read_steps(r, n["on_stop"], "on_stop", failure_action::end_task);
    if (!n["tasks"]) r.fail(n, "user '" + u.name + "' has no tasks (nor a script)");
    r.expect_list(n["tasks"], "tasks");
    for (const auto& t : n["tasks"]) u.tasks.push_back(read_task(r, t, u, task_default));
    if (u.tasks.empty()) r.fail(n["tasks"], "user '" + u.name + "' has no tasks");
  }
  if (const auto d = n["data"]) {
    r.expect_map(d, "data");
    r.check_keys(d, {"file", "order"}, "data");
    data_spec spec;
    spec.file = r.text(d["file"] ? d["file"] : d, "data.file");
    if (d["order"]) {
      const std::string o = r.text(d["order"], "data.order");
      if (o == "sequential")
        spec.mode = data_spec::order::sequential;
      else if (o == "random")
        spec.mode = data_spec::order::random;
      else if (o == "unique")
        spec.mode = data_spec::order::unique;
      else
        r.fail(d["order"], "data.order must be sequential, random or unique, got '" + o + "'");
    }
    try {
      r.read_data(spec.file, spec.columns, spec.rows);
    } catch (const std::runtime_error& e) {
      r.fail(d["file"] ? d["file"] : d, e.what());
    }
    u.data = std::move(spec);
  }
  // Every variable must be one that can be set: built-ins, captures, data columns.
  const std::vector<std::string> builtins{"user_id", "iteration", "worker_index", "worker_count"};
  std::set<std::string> known(builtins.begin(), builtins.end());
  std::set<std::string> captures;
  auto add_captures = [&](const std::vector<request_spec>& steps) {
    for (const auto& s : steps)
      for (const auto& c : s.captures) captures.insert(c.variable);
  };
  add_captures(u.on_start);
  add_captures(u.on_stop);
  for (const auto& t : u.tasks) add_captures(t.steps);
  known.insert(captures.begin(), captures.end());
  if (u.data) known.insert(u.data->columns.begin(), u.data->columns.end());
  // A data column or capture named like a built-in hid it: ${user_id} was the row's value.
  if (u.data)
    for (const auto& column : u.data->columns)
      if (std::find(builtins.begin(), builtins.end(), column) != builtins.end())
        r.fail(n["data"], "data file " + u.data->file + " has a column '" + column +
                              "', the name of a built-in variable: rename the column");
  for (const auto& name : captures)
    if (std::find(builtins.begin(), builtins.end(), name) != builtins.end())
      r.fail(n, "user '" + u.name + "' captures into '" + name +
                    "', the name of a built-in variable: capture into another name");
  // The names a user could have meant, by kind: "known: user_id, ...; captures: token; data
  // columns of users.csv: email, password".
  auto known_names = [&] {
    auto join = [](const auto& names) {
      std::string out;
      for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
      return out;
    };
    std::string out = "known: " + join(builtins);
    if (!captures.empty()) out += "; captures: " + join(captures);
    if (u.data) out += "; data columns of " + u.data->file + ": " + join(u.data->columns);
    return out;
  };
  auto check_vars = [&](const request_spec& s) {
    auto check_one = [&](const template_string& t) {
      for (const auto& v : t.variables())
        if (!known.count(v))
          throw config_error(s.where.str() + ": unknown variable '${" + v + "}' in '" + t.source() +
                             "' of user '" + u.name + "' (" + known_names() + ")");
    };
    check_one(s.path);
    for (const auto& [k, v] : s.headers) check_one(v);
    for (const auto& [k, v] : s.query) check_one(v);
    if (s.body) check_one(*s.body);
    for (const auto& [p, t] : s.json_templates) check_one(t);
  };
  for (const auto& s : u.on_start) check_vars(s);
  for (const auto& s : u.on_stop) check_vars(s);
  for (const auto& t : u.tasks)
    for (const auto& s : t.steps) check_vars(s);
  return u;
}

load_spec read_load(const reader& r, const YAML::Node& n) {
  r.expect_map(n, "load");
  r.check_keys(n, {"users", "spawn_rate", "run_time", "stages", "arrival_rate"}, "load");
  load_spec l;
  if (n["users"]) l.users = static_cast<int>(r.integer(n["users"], "load.users", 0, 10'000'000));
  if (n["spawn_rate"])
    l.spawn_rate = r.number(n["spawn_rate"], "load.spawn_rate (users per second)", 1e-3, 1e7);
  if (n["run_time"]) {
    l.run_time = r.duration(n["run_time"], "load.run_time");
    if (l.run_time->count() <= 0)
      r.fail(n["run_time"],
             "load.run_time must be above 0 (leave it out to run until stopped, as -t 0 does)");
  }
  if (const auto a = n["arrival_rate"]) {
    r.expect_map(a, "load.arrival_rate");
    r.check_keys(a, {"rate", "max_users"}, "load.arrival_rate");
    arrival_spec spec;
    // 0 is a start rate for stages to ramp up from, as k6's startRate: 0 (checked below).
    if (a["rate"]) spec.rate = r.rate(a["rate"], "load.arrival_rate.rate", true);
    if (a["max_users"])
      spec.max_users =
          static_cast<int>(r.integer(a["max_users"], "load.arrival_rate.max_users", 1, 10'000'000));
    if (n["users"] || n["spawn_rate"])
      r.fail(
          a,
          "load takes users and spawn_rate (closed model) or arrival_rate (open model), not both");
    l.arrival = spec;
  }
  if (const auto st = n["stages"]) {
    r.expect_list(st, "load.stages");
    if (st.size() == 0)
      r.fail(st, "load.stages is empty: give at least one {duration, users} (or leave stages out)");
    // It would be silently unused: each stage has its own rate, or ramps over its duration.
    if (!l.arrival && n["spawn_rate"])
      r.fail(n["spawn_rate"],
             "load.spawn_rate does not apply to stages: give a stage its own spawn_rate, or none "
             "to ramp linearly over its duration");
    if (!l.arrival && n["users"])
      r.fail(n["users"], "load.users does not apply to stages: each stage says its own users");
    for (const auto& s : st) {
      r.expect_map(s, "a stage");
      stage_spec stage;
      if (l.arrival) {
        r.check_keys(s, {"duration", "rate"}, "a stage of the open model");
        if (!s["duration"] || !s["rate"])
          r.fail(s, "a stage of the open model needs duration and rate");
        stage.rate = r.rate(s["rate"], "stage rate", true);  // 0: a pause, or a ramp to none
      } else {
        r.check_keys(s, {"duration", "users", "spawn_rate"}, "a stage");
        if (!s["duration"] || !s["users"]) r.fail(s, "a stage needs duration and users");
        stage.users = static_cast<int>(r.integer(s["users"], "stage users", 0, 10'000'000));
        if (s["spawn_rate"])
          stage.spawn_rate = r.number(s["spawn_rate"], "stage spawn_rate", 1e-3, 1e7);
      }
      stage.duration = r.duration(s["duration"], "stage duration");
      l.stages.push_back(stage);
    }
    // Without a run time, the stages' end is the test's: a test of 0 s ran nothing, and passed.
    microseconds all{0};
    for (const auto& s : l.stages) all += s.duration;
    if (all.count() == 0 && !l.run_time)
      r.fail(st, "load.stages last 0 s in all: give a stage a duration above 0 (or a run_time)");
    if (l.arrival) {
      // As the master plans them (load_plan): a stage ramps from the rate before it over its
      // time, one of 0 s steps to its rate, and the last rate holds to the run time.
      bool arrivals = false;
      double from = l.arrival->rate;
      microseconds at{0};
      for (const auto& s : l.stages) {
        if (s.duration.count() > 0 && (from > 0 || s.rate > 0) && (!l.run_time || at < *l.run_time))
          arrivals = true;
        from = s.rate;
        at += s.duration;
      }
      if (l.run_time && *l.run_time > at && from > 0) arrivals = true;
      if (!arrivals)
        r.fail(st, "the open model's rate is 0 all through its stages: no iteration would run");
    }
  }
  if (l.arrival && l.arrival->rate == 0 && l.stages.empty())
    r.fail(n["arrival_rate"]["rate"],
           "load.arrival_rate.rate is 0 and there are no stages: no iteration would run (0 is a "
           "start rate for stages to ramp from)");
  return l;
}

/// "p95 < 250ms", or a map: {check: "fail_ratio < 0.01", abort_on_fail: true, delay: 10s} on
/// every request, with name (and method) on the requests of one name.
threshold read_threshold(const reader& r, const YAML::Node& t) {
  YAML::Node check = t;  // (assigned below, it makes `t` the check: yaml-cpp's nodes alias)
  YAML::Node method_node;
  std::string name, method;
  bool abort_on_fail = false;
  microseconds delay{0};
  if (t.IsMap()) {
    r.check_keys(t, {"name", "method", "check", "abort_on_fail", "delay"}, "a threshold");
    if (t["name"] && !t["check"]) r.fail(t, "a threshold on one name needs name and check");
    if (!t["check"])
      r.fail(t, "a threshold needs check, e.g. {check: fail_ratio < 0.01, abort_on_fail: true}");
    if (t["name"]) name = r.stats_name(t["name"], "threshold name");
    if (t["method"]) {
      if (!t["name"])
        r.fail(t["method"],
               "a threshold's method needs a name too, e.g. {name: /items, method: "
               "GET, check: p95 < 250ms}");
      method_node = t["method"];
      method = r.text(method_node, "threshold method");
      // As the scenario's own `get:` and `post:`: requests are counted under the method in
      // capitals, and a lower-case one here judged none of them.
      for (auto& c : method) {
        if (!std::isalpha(static_cast<unsigned char>(c)))
          r.fail(t["method"], "a threshold's method is a word such as GET or POST, not '" +
                                  t["method"].Scalar() + "'");
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      }
    }
    if (t["abort_on_fail"]) abort_on_fail = r.boolean(t["abort_on_fail"], "abort_on_fail");
    if (t["delay"]) {
      delay = r.duration(t["delay"], "threshold delay");
      if (!abort_on_fail)
        r.fail(t["delay"],
               "delay is how long abort_on_fail waits before judging: add abort_on_fail: true");
    }
    check = t["check"];
  }
  try {
    threshold parsed = parse_threshold(r.text(check, "a threshold"), name, method);
    if (parsed.what == threshold::metric::script_errors && !method.empty())
      r.fail(method_node,
             "script_errors judges the scripts' errors, which have no method: leave method out "
             "(name picks a task's, e.g. {name: checkout, check: script_errors == 0})");
    parsed.abort_on_fail = abort_on_fail;
    parsed.delay = delay;
    return parsed;
  } catch (const threshold_error& e) {
    r.fail(check, e.what());
  }
}

/// "IP", "IP:PORT", "IPv6" or "[IPv6]:PORT": what c-ares takes as a server (names would need a
/// resolver to find the resolver).
bool is_dns_server_address(const std::string& text) {
  auto port_ok = [](const std::string& p) {
    if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos)
      return false;
    const int n = std::stoi(p);
    return n > 0 && n < 65536;
  };
  in6_addr v6{};
  in_addr v4{};
  if (::inet_pton(AF_INET6, text.c_str(), &v6) == 1) return true;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos) return false;
    const std::string host = text.substr(1, close - 1);
    const std::string rest = text.substr(close + 1);
    return ::inet_pton(AF_INET6, host.c_str(), &v6) == 1 &&
           (rest.empty() || (rest[0] == ':' && port_ok(rest.substr(1))));
  }
  const auto colon = text.find(':');
  const std::string host = text.substr(0, colon);
  return ::inet_pton(AF_INET, host.c_str(), &v4) == 1 &&
         (colon == std::string::npos || port_ok(text.substr(colon + 1)));
}

/// A key given twice in one mapping: yaml-cpp keeps both and lookups find the first, so the
/// second was silently ignored. Walks the tree without recursion (a scenario posted to the web
/// API is read on a small green stack) and each mapping once (aliases share theirs).
void refuse_duplicate_keys(const reader& r, const YAML::Node& root) {
  std::vector<YAML::Node> todo{root};
  std::set<std::pair<int, int>> seen;  // mappings and sequences by where they start
  while (!todo.empty()) {
    const YAML::Node n = todo.back();
    todo.pop_back();
    if (!n.IsMap() && !n.IsSequence()) continue;
    if (!seen.emplace(n.Mark().line, n.Mark().column).second) continue;
    if (n.IsSequence()) {
      for (const auto& e : n) todo.push_back(e);
      continue;
    }
    std::set<std::string> keys;
    for (const auto& kv : n) {
      if (kv.first.IsScalar() && !keys.insert(kv.first.Scalar()).second)
        r.fail(kv.first, "'" + kv.first.Scalar() + "' is given twice in this mapping");
      todo.push_back(kv.second);
    }
  }
}

/// The line (from 1) where a second YAML document with content starts ("---" or "..." at the
/// start of a line after the first document's content), or nothing. yaml-cpp's Load reads the
/// first document only, and its LoadAll never ends on some malformed text (found by fuzzing):
/// the markers are found in the text. A trailing "---" with nothing but comments after it
/// (tools that join files write one) is no second document.
std::optional<int> second_document_line(const std::string& text) {
  const auto is_marker = [](std::string_view line) {
    return (line.starts_with("---") || line.starts_with("...")) &&
           (line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r');
  };
  const auto has_content = [](std::string_view line) {
    const auto first = line.find_first_not_of(" \t\r");
    return first != std::string_view::npos && line[first] != '#';
  };
  bool content = false;
  std::optional<int> marker;  // a marker after content: a second document may start there
  int number = 0;
  for (std::size_t at = 0; at <= text.size();) {
    const std::size_t end = std::min(text.find('\n', at), text.size());
    const std::string_view line(text.data() + at, end - at);
    ++number;
    if (is_marker(line)) {
      if (content && !marker) marker = number;
      if (marker && has_content(line.substr(3))) return marker;
    } else if (has_content(line) && !line.starts_with('%')) {
      if (marker) return marker;
      content = true;
    }
    at = end + 1;
  }
  return std::nullopt;
}

scenario load(const reader& r, const std::string& text) {
  YAML::Node root;
  if (const auto line = second_document_line(text))
    throw config_error(r.file() + ":" + std::to_string(*line) +
                       ":1: a second YAML document (after ---): a scenario is one document");
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw config_error(r.where(e.mark) + ": not valid YAML: " + e.msg);
  }
  refuse_duplicate_keys(r, root);
  try {
    if (!root.IsMap())
      throw config_error(r.file() + ": a scenario is a mapping with target, load and users");
    r.check_keys(root,
                 {"target", "load", "users", "thresholds", "report", "http", "dns", "stats",
                  "scripting", "script"},
                 "the scenario");
    scenario s;
    s.file = r.file();
    // Locust's users give -H and no target in the file: without one, the target stays empty
    // for the overrides to give (apply_overrides refuses a test that still has none).
    if (root["target"]) {
      s.target = r.text(root["target"], "target");
      std::string url_error;
      if (!http::parse_base_url(s.target, url_error))
        r.fail(root["target"], "target: " + url_error);
    }
    if (root["load"]) s.load = read_load(r, root["load"]);
    if (!root["users"])
      r.fail(root, "the scenario needs users (a list of user classes with tasks)");
    r.expect_list(root["users"], "users");
    std::set<std::string> names;
    // Unique rows are leased per class: two classes taking `unique` rows of one file would each
    // use every row, though a row is no other iteration's of the whole test (hunt).
    std::map<std::string, std::string> unique_files;  // the file, as normalized -> its class
    for (std::size_t i = 0; i < root["users"].size(); ++i) {
      s.users.push_back(read_user(r, root["users"][i], i, s.scripts));
      if (!names.insert(s.users.back().name).second)
        r.fail(root["users"][i], "two user classes are named '" + s.users.back().name + "'");
      const auto& d = s.users.back().data;
      if (d && d->mode == data_spec::order::unique) {
        const auto key = std::filesystem::path(d->file).lexically_normal().string();
        const auto [at, first] = unique_files.try_emplace(key, s.users.back().name);
        if (!first)
          r.fail(root["users"][i]["data"],
                 "user classes '" + at->second + "' and '" + s.users.back().name +
                     "' both take unique rows of " + d->file +
                     ": each class would use every row; give each class a file of its own");
      }
    }
    if (s.users.empty()) r.fail(root["users"], "users must not be empty");
    // The open model starts each iteration at its arrival: a wait would be read, and never used
    // (QA: a scenario from the closed model kept its 1 s wait, and changed meaning silently).
    if (s.load.arrival)
      for (const auto& u : root["users"])
        if (u["wait"]) r.fail(u["wait"], wait_in_open_model);
    if (const auto main = root["script"]) {
      // main.lua: setup and teardown, run once on the master.
      s.main_script = r.text(main, "script");
      if (s.main_script.size() < 5 ||
          s.main_script.compare(s.main_script.size() - 4, 4, ".lua") != 0)
        r.fail(main, "script must name a Lua file (main.lua), got '" + s.main_script + "'");
      try {
        s.scripts[s.main_script] = r.read_script(s.main_script);
      } catch (const std::runtime_error& e) {
        r.fail(main, e.what());
      }
    }
    if (const auto th = root["thresholds"]) {
      r.expect_list(th, "thresholds");
      for (const auto& t : th) s.thresholds.push_back(read_threshold(r, t));
    }
    if (const auto rep = root["report"]) {
      r.expect_map(rep, "report");
      r.check_keys(rep, {"csv", "html", "json"}, "report");
      // An empty path would silently write no report at all (as --csv '' is refused).
      const auto path = [&](const char* key) {
        const std::string what = std::string("report.") + key;
        std::string p = r.text(rep[key], what);
        if (p.empty()) r.fail(rep[key], what + " is empty: give a path, or leave the key out");
        return p;
      };
      if (rep["csv"]) s.report.csv_prefix = path("csv");
      if (rep["html"]) s.report.html_file = path("html");
      if (rep["json"]) s.report.json_file = path("json");
    }
    if (const auto sc = root["scripting"]) {
      r.expect_map(sc, "scripting");
      r.check_keys(sc, {"run_limit", "heap_mb", "setup_timeout", "teardown_timeout"}, "scripting");
      if (sc["setup_timeout"])
        s.scripting.setup_timeout = r.duration(sc["setup_timeout"], "scripting.setup_timeout");
      if (sc["teardown_timeout"])
        s.scripting.teardown_timeout =
            r.duration(sc["teardown_timeout"], "scripting.teardown_timeout");
      if (sc["run_limit"])
        s.scripting.run_limit = r.duration(sc["run_limit"], "scripting.run_limit");
      if (s.scripting.run_limit < std::chrono::milliseconds(1))
        r.fail(sc["run_limit"], "scripting.run_limit must be at least 1ms");
      if (sc["heap_mb"])
        s.scripting.heap_limit =
            static_cast<std::size_t>(r.integer(sc["heap_mb"], "scripting.heap_mb", 4, 1 << 20))
            << 20;
    }
    if (const auto h = root["http"]) {
      r.expect_map(h, "http");
      r.check_keys(h,
                   {"connect_timeout", "timeout", "verify_tls", "max_redirects", "version",
                    "ca_file", "client_cert", "client_key", "server_name"},
                   "http");
      // PEM files: read now (a missing one is this file's mistake, not a worker's), checked
      // for what they must hold; OpenSSL parses them when the users start.
      auto pem = [&](const char* key, std::string_view holds, const std::string& what) {
        const std::string& contents = r.shipped_file(h[key], std::string("http.") + key);
        if (contents.find("-----BEGIN ") == std::string::npos ||
            contents.find(holds) == std::string::npos)
          r.fail(h[key], std::string("http.") + key + ": " + r.text(h[key], key) + " holds no " +
                             what + " in PEM form");
        return r.text(h[key], key);
      };
      if (h["ca_file"]) s.http.ca_file = pem("ca_file", "CERTIFICATE-----", "certificate");
      if (h["client_cert"])
        s.http.client_cert = pem("client_cert", "CERTIFICATE-----", "certificate");
      if (h["client_key"]) s.http.client_key = pem("client_key", "PRIVATE KEY-----", "private key");
      if (s.http.client_cert.empty() != s.http.client_key.empty())
        r.fail(h, "http: client_cert and client_key go together");
      if (h["server_name"]) s.http.server_name = r.text(h["server_name"], "http.server_name");
      // 0 would fail every request at once ("no response within 0 ms").
      const auto above_zero = [&](const char* key) {
        const auto d = r.duration(h[key], std::string("http.") + key);
        if (d.count() <= 0) r.fail(h[key], std::string("http.") + key + " must be more than 0");
        return d;
      };
      if (h["connect_timeout"]) s.http.connect_timeout = above_zero("connect_timeout");
      if (h["timeout"]) s.http.timeout = above_zero("timeout");
      if (h["verify_tls"]) s.http.verify_tls = r.boolean(h["verify_tls"], "http.verify_tls");
      if (h["max_redirects"])
        s.http.max_redirects =
            static_cast<int>(r.integer(h["max_redirects"], "http.max_redirects", 0, 100));
      if (h["version"]) {
        // 2 and 1.1 may come unquoted (a number to YAML): the scalar's text is what counts.
        const std::string v = r.text(h["version"], "http.version");
        if (v == "auto") {
          s.http.version = http_spec::protocol::automatic;
        } else if (v == "1.1") {
          s.http.version = http_spec::protocol::http1_1;
        } else if (v == "2") {
          s.http.version = http_spec::protocol::http2;
        } else {
          r.fail(h["version"], "http.version must be \"1.1\", \"2\" or auto, got '" + v + "'");
        }
      }
    }
    if (const auto d = root["dns"]) {
      r.expect_map(d, "dns");
      r.check_keys(d, {"servers", "max_ttl", "select"}, "dns");
      if (const auto servers = d["servers"]) {
        r.expect_list(servers, "dns.servers");
        // An empty list would read as "the system's", which leaving the key out says.
        if (servers.size() == 0)
          r.fail(servers,
                 "dns.servers is empty: give name servers (e.g. [10.0.0.2]), or leave it out "
                 "for the system's (/etc/resolv.conf)");
        for (const auto& server : servers) {
          std::string text = r.text(server, "dns.servers");
          if (!is_dns_server_address(text))
            r.fail(server, "dns.servers: '" + text +
                               "' is not an IP address with an optional port, e.g. 10.0.0.2, "
                               "10.0.0.2:5353 or [fd00::2]:53");
          s.dns.servers.push_back(std::move(text));
        }
      }
      if (d["max_ttl"]) s.dns.max_ttl = r.duration(d["max_ttl"], "dns.max_ttl");
      if (const auto select = d["select"]) {
        const std::string how = r.text(select, "dns.select");
        if (how == "round_robin")
          s.dns.select = dns_spec::selection::round_robin;
        else if (how == "first")
          s.dns.select = dns_spec::selection::first;
        else if (how == "random")
          s.dns.select = dns_spec::selection::random;
        else
          r.fail(select, "dns.select: '" + how + "' is not round_robin, first or random");
      }
    }
    if (const auto st = root["stats"]) {
      r.expect_map(st, "stats");
      r.check_keys(st, {"max_names"}, "stats");
      if (st["max_names"])
        s.stats.max_names =
            static_cast<std::size_t>(r.integer(st["max_names"], "stats.max_names", 1, 1'000'000));
    }
    s.environment = r.environment_used();
    s.files = r.shipped_files();
    return s;
  } catch (const YAML::Exception& e) {
    throw config_error(r.where(e.mark) + ": " + e.msg);
  }
}

}  // namespace

scenario load_scenario_text(const std::string& text, const std::string& name,
                            const std::string& base_dir, const environment_lookup& env) {
  return load(reader(name, base_dir, env), text);
}

scenario load_confined_scenario_text(const std::string& text, const std::string& name,
                                     const std::string& base_dir) {
  // Someone else's scenario must not read this machine's environment (it could send a secret
  // to a target of its choosing): no lookup, so only defaults apply.
  return load(reader(name, base_dir, environment_lookup(), nullptr, true), text);
}

scenario load_scenario_text(const std::string& text, const std::string& name,
                            const data_file_contents& data, const environment_lookup& env) {
  return load(reader(name, ".", env, &data), text);
}

scenario load_scenario_file(const std::string& path, const environment_lookup& env) {
  std::string why;
  const auto text = read_input_file(path, why);
  if (!text) throw config_error(path + ": cannot read the scenario file: " + why);
  const auto slash = path.find_last_of('/');
  return load_scenario_text(*text, path, slash == std::string::npos ? "." : path.substr(0, slash),
                            env);
}

}  // namespace swarmlet::config
