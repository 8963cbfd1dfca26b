#include "scenario_loader.hpp"

#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "common/http/url.hpp"
#include "csv_data.hpp"
#include "duration.hpp"

namespace swarmlet::config {
namespace {

const std::set<std::string> http_methods{"get",   "post", "put",    "delete",
                                         "patch", "head", "options"};

class reader {
 public:
  reader(std::string file, std::string base_dir, environment_lookup env,
         const data_file_contents* data = nullptr, bool confined = false)
      : file_(std::move(file)),
        base_dir_(std::move(base_dir)),
        env_(std::move(env)),
        data_(data),
        confined_(confined) {}

  [[noreturn]] void fail(const YAML::Node& at, const std::string& what) const {
    const YAML::Mark m = at.Mark();
    throw config_error(where(m) + ": " + what);
  }
  std::string where(const YAML::Mark& m) const {
    if (m.is_null()) return file_;
    return file_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
  }
  source_location location(const YAML::Node& n) const {
    const YAML::Mark m = n.Mark();
    return {file_, m.line + 1, m.column + 1};
  }

  void expect_map(const YAML::Node& n, const std::string& what) const {
    if (!n.IsMap()) fail(n, what + " must be a mapping (key: value)");
  }
  void expect_list(const YAML::Node& n, const std::string& what) const {
    if (!n.IsSequence()) fail(n, what + " must be a list");
  }
  /// Refuses keys outside `allowed`, naming the allowed ones.
  void check_keys(const YAML::Node& map, const std::set<std::string>& allowed,
                  const std::string& what) const {
    for (const auto& kv : map) {
      const std::string key = kv.first.as<std::string>();
      if (!allowed.count(key)) {
        std::string list;
        for (const auto& k : allowed) list += (list.empty() ? "" : ", ") + k;
        fail(kv.first, "unknown key '" + key + "' in " + what + " (expected one of: " + list + ")");
      }
    }
  }
  std::string text(const YAML::Node& n, const std::string& what) const {
    if (!n.IsScalar()) fail(n, what + " must be a string");
    return n.Scalar();
  }
  long long integer(const YAML::Node& n, const std::string& what, long long lo,
                    long long hi) const {
    long long v = 0;
    if (!n.IsScalar() || !YAML::convert<long long>::decode(n, v))
      fail(n, what + " must be a whole number, got '" + (n.IsScalar() ? n.Scalar() : "?") + "'");
    if (v < lo || v > hi)
      fail(n, what + " must be between " + std::to_string(lo) + " and " + std::to_string(hi));
    return v;
  }
  double number(const YAML::Node& n, const std::string& what, double lo, double hi) const {
    double v = 0;
    if (!n.IsScalar() || !YAML::convert<double>::decode(n, v))
      fail(n, what + " must be a number, got '" + (n.IsScalar() ? n.Scalar() : "?") + "'");
    if (!(v >= lo && v <= hi))
      fail(n, what + " must be between " + trim_number(lo) + " and " + trim_number(hi));
    return v;
  }
  bool boolean(const YAML::Node& n, const std::string& what) const {
    bool v = false;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, v))
      fail(n, what + " must be true or false");
    return v;
  }
  microseconds duration(const YAML::Node& n, const std::string& what) const {
    if (!n.IsScalar()) fail(n, what + " must be a duration like 500ms, 30s or 1h30m");
    auto d = parse_duration(n.Scalar());
    if (!d)
      fail(n, what + ": '" + n.Scalar() + "' is not a duration (expected e.g. 500ms, 30s, 1h30m)");
    return *d;
  }
  double rate(const YAML::Node& n, const std::string& what) const {
    if (!n.IsScalar()) fail(n, what + " must be a rate like 5000/s");
    auto v = parse_rate(n.Scalar());
    if (!v)
      fail(n, what + ": '" + n.Scalar() + "' is not a rate (expected e.g. 5000/s, 300/m, 10/h)");
    return *v;
  }
  template_string templ(const YAML::Node& n, const std::string& what) const {
    return templ(n, text(n, what), what);
  }
  /// `s` (found at `n`) as a template, its ${env.NAME} resolved now.
  template_string templ(const YAML::Node& n, const std::string& s, const std::string& what) const {
    try {
      template_string t(s);
      t.resolve_environment(env_, environment_used_);
      return t;
    } catch (const std::invalid_argument& e) {
      fail(n, what + " '" + s + "' " + e.what());
    }
  }
  regex pattern(const YAML::Node& n, const std::string& what) const {
    const std::string s = text(n, what);
    try {
      return regex(s);
    } catch (const std::invalid_argument& e) {
      fail(n, what + ": bad regular expression '" + s + "' " + e.what());
    }
  }
  /// The text of the file the scenario names at `n` (given, or read relative to the scenario),
  /// remembered to ship to the workers; fails naming `n` when it cannot be read.
  const std::string& shipped_file(const YAML::Node& n, const std::string& what) const {
    const std::string name = text(n, what);
    if (name.empty()) fail(n, what + " must name a file");
    if (auto it = shipped_.find(name); it != shipped_.end()) return it->second;
    if (data_ != nullptr) {
      auto it = data_->find(name);
      if (it == data_->end()) fail(n, what + ": " + name + " did not come with the scenario");
      return shipped_.emplace(name, it->second).first->second;
    }
    const std::string path = name[0] == '/' ? name : base_dir_ + "/" + name;
    std::error_code ec;
    if (confined_ && (name[0] == '/' || name.find("..") != std::string::npos ||
                      !std::filesystem::is_regular_file(path, ec)))
      fail(n, what + " '" + name + "' must be a file next to the master's scenario, without '..'");
    if (std::filesystem::is_directory(path, ec)) fail(n, what + ": " + path + " is a directory");
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(n, what + ": cannot read " + path + " (" + std::strerror(errno) + ")");
    std::stringstream contents;
    contents << in.rdbuf();
    return shipped_.emplace(name, contents.str()).first->second;
  }
  /// Every file shipped_file() read.
  const std::map<std::string, std::string>& shipped_files() const { return shipped_; }
  /// Every ${env.NAME} value the templates read so far.
  const std::map<std::string, std::string>& environment_used() const { return environment_used_; }
  const std::string& file() const { return file_; }
  /// Reads the data file the scenario names `name`: from the contents given, or from disk
  /// relative to the scenario. Throws std::runtime_error naming it.
  void read_data(const std::string& name, std::vector<std::string>& columns,
                 std::vector<std::vector<std::string>>& rows) const {
    if (data_ != nullptr) {
      auto it = data_->find(name);
      if (it == data_->end())
        throw std::runtime_error("data file " + name + " did not come with the scenario");
      return parse_csv(it->second, name, columns, rows);
    }
    if (confined_) {
      // Someone else's scenario (posted to the web API): it may name only regular files in
      // the master's scenario directory, never a device, a FIFO or a file elsewhere.
      if (name.empty() || name.front() == '/' || name.find("..") != std::string::npos)
        throw std::runtime_error("data file '" + name +
                                 "': name it relative to the master's scenario, without '..'");
      std::error_code ec;
      if (!std::filesystem::is_regular_file(base_dir_ + "/" + name, ec))
        throw std::runtime_error("data file '" + name +
                                 "' is not a file next to the master's scenario");
    }
    read_csv_file(name.size() && name[0] == '/' ? name : base_dir_ + "/" + name, columns, rows);
  }
  /// The text of the script the scenario names `name` (given, or read next to the scenario).
  /// Throws std::runtime_error naming it.
  std::string read_script(const std::string& name) const {
    if (data_ != nullptr) {
      auto it = data_->find(name);
      if (it == data_->end())
        throw std::runtime_error("script " + name + " did not come with the scenario");
      return it->second;
    }
    std::ifstream in(name.size() && name[0] == '/' ? name : base_dir_ + "/" + name,
                     std::ios::binary);
    if (!in) throw std::runtime_error("cannot read the script " + name);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  static std::string trim_number(double v) {
    std::ostringstream o;
    o << v;
    return o.str();
  }
  std::string file_, base_dir_;
  environment_lookup env_;
  mutable std::map<std::string, std::string> environment_used_;
  mutable std::map<std::string, std::string> shipped_;
  const data_file_contents* data_;
  bool confined_;
};

nlohmann::json to_json(const reader& r, const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json j = nlohmann::json::object();
      for (const auto& kv : n) j[kv.first.as<std::string>()] = to_json(r, kv.second);
      return j;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& e : n) j.push_back(to_json(r, e));
      return j;
    }
    case YAML::NodeType::Scalar: {
      if (n.Tag() == "!") return n.Scalar();  // quoted: always a string
      long long i;
      double d;
      bool b;
      if (YAML::convert<long long>::decode(n, i)) return i;
      if (YAML::convert<double>::decode(n, d)) return d;
      if (YAML::convert<bool>::decode(n, b)) return b;
      if (n.Scalar() == "null" || n.Scalar() == "~") return nullptr;
      return n.Scalar();
    }
    default:
      return nullptr;
  }
}

/// Every string leaf of `j` that holds a substitution becomes a template at its pointer.
void collect_json_templates(const reader& r, const YAML::Node& at, const nlohmann::json& j,
                            const nlohmann::json::json_pointer& ptr, request_spec& req) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it)
      collect_json_templates(r, at, it.value(), ptr / it.key(), req);
  } else if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i) collect_json_templates(r, at, j[i], ptr / i, req);
  } else if (j.is_string() && j.get<std::string>().find("${") != std::string::npos) {
    req.json_templates.emplace_back(ptr, r.templ(at, j.get<std::string>(), "json value"));
  }
}

/// How a value that is not what was expected reads in a message.
std::string described(const YAML::Node& n) {
  if (n.IsScalar()) return "'" + n.Scalar() + "'";
  if (n.IsMap()) return "a mapping";
  if (n.IsSequence()) return n.size() == 0 ? "an empty list" : "a list";
  return "nothing";
}

status_check read_status(const reader& r, const YAML::Node& n) {
  const std::string expected =
      "check.status must be a status (200), a list ([200, 201]) or a class (2xx), got ";
  status_check out;
  auto add = [&](const YAML::Node& one) {
    const auto range = parse_status(one.Scalar());
    if (!range) return false;
    out.ranges.push_back(*range);
    std::string written = one.Scalar();
    for (auto& c : written) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.expected += (out.expected.empty() ? "" : " or ") + written;
    return true;
  };
  if (n.IsScalar()) {
    if (!add(n)) r.fail(n, expected + described(n));
    return out;
  }
  if (!n.IsSequence() || n.size() == 0) r.fail(n, expected + described(n));
  bool all_words = true;
  for (const auto& one : n) {
    if (!one.IsScalar())
      r.fail(n, expected + (one.IsMap() ? "a list of mappings" : "a list of lists"));
    long long number = 0;
    all_words =
        all_words && !YAML::convert<long long>::decode(one, number) && !parse_status(one.Scalar());
  }
  if (all_words) r.fail(n, expected + "a list of strings");
  for (const auto& one : n)
    if (!add(one)) r.fail(one, expected + described(one) + " in the list");
  return out;
}

void read_header_checks(const reader& r, const YAML::Node& n, std::vector<header_check>& out) {
  r.expect_map(n, "check.header");
  for (const auto& kv : n) {
    header_check h;
    h.name = r.text(kv.first, "check.header name");
    if (h.name.empty()) r.fail(kv.first, "check.header: a header name must not be empty");
    const std::string what = "check.header " + h.name;
    if (kv.second.IsMap()) {
      r.check_keys(kv.second, {"regex"}, what);
      if (!kv.second["regex"]) r.fail(kv.second, what + " takes a value or {regex: ...}");
      h.matches = r.pattern(kv.second["regex"], what);
    } else {
      h.equals = r.text(kv.second, what + " (a value or {regex: ...})");
    }
    out.push_back(std::move(h));
  }
}

void read_json_checks(const reader& r, const YAML::Node& n, std::vector<json_check>& out) {
  r.expect_map(n, "check.json");
  for (const auto& kv : n) {
    json_check base;
    try {
      base.path = json_path(r.text(kv.first, "check.json path"));
    } catch (const std::invalid_argument& e) {
      r.fail(kv.first, e.what());
    }
    const YAML::Node& v = kv.second;
    bool comparisons = false;
    if (v.IsMap())
      for (const auto& op : v)
        comparisons = comparisons || parse_json_op(op.first.as<std::string>()).has_value();
    if (!comparisons) {  // a bare value (even a mapping without operators): equals
      base.operand = to_json(r, v);
      out.push_back(std::move(base));
      continue;
    }
    const std::string what = "check.json " + base.path.source();
    for (const auto& op : v) {
      const std::string word = op.first.as<std::string>();
      json_check c = base;
      const auto how = parse_json_op(word);
      if (!how)
        r.fail(op.first, what + ": '" + word +
                             "' is not a comparison (eq, ne, gt, ge, lt, le, exists, contains); "
                             "to compare with a mapping, write {eq: {...}}");
      c.how = *how;
      if (c.how == json_check::op::exists) {
        c.operand = r.boolean(op.second, what + ".exists");
      } else {
        c.operand = to_json(r, op.second);
        const bool ordered = c.how == json_check::op::gt || c.how == json_check::op::ge ||
                             c.how == json_check::op::lt || c.how == json_check::op::le;
        if (ordered && !c.operand.is_number() && !c.operand.is_string())
          r.fail(op.second, what + "." + word + " compares with a number or a string");
        if (c.how == json_check::op::contains && !c.operand.is_primitive())
          r.fail(op.second, what + ".contains takes a string, a number or true/false");
      }
      out.push_back(std::move(c));
    }
  }
}

void read_check(const reader& r, const YAML::Node& n, check_spec& check) {
  r.expect_map(n, "check");
  r.check_keys(
      n,
      {"status", "body_contains", "not_contains", "body_regex", "header", "json", "max_duration"},
      "check");
  if (n["status"]) check.status = read_status(r, n["status"]);
  if (n["body_contains"]) check.body_contains = r.text(n["body_contains"], "check.body_contains");
  if (n["not_contains"]) check.not_contains = r.text(n["not_contains"], "check.not_contains");
  if (n["body_regex"]) check.body_regex = r.pattern(n["body_regex"], "check.body_regex");
  if (n["header"]) read_header_checks(r, n["header"], check.headers);
  if (n["json"]) read_json_checks(r, n["json"], check.json);
  if (const auto d = n["max_duration"]; d && d.IsScalar()) {
    double bare = 0;
    if (YAML::convert<double>::decode(d, bare))
      r.fail(d, "check.max_duration: '" + d.Scalar() + "' is a time without a unit: write " +
                    d.Scalar() + "ms (or " + d.Scalar() + "s)");
  }
  if (n["max_duration"]) {
    check.max_duration = r.duration(n["max_duration"], "check.max_duration");
    if (check.max_duration->count() <= 0)
      r.fail(n["max_duration"], "check.max_duration must be more than 0");
  }
}

void read_captures(const reader& r, const YAML::Node& n, std::vector<capture_spec>& out) {
  r.expect_map(n, "capture");
  for (const auto& kv : n) {
    capture_spec c;
    c.variable = kv.first.as<std::string>();
    const YAML::Node& how = kv.second;
    const std::string what = "capture '" + c.variable + "'";
    r.expect_map(how, what);
    r.check_keys(how, {"json", "header", "regex", "optional"}, what);
    if (how.size() - (how["optional"] ? 1 : 0) != 1)
      r.fail(how, what + " takes exactly one of json, header, regex");
    if (how["optional"]) c.optional = r.boolean(how["optional"], what + ".optional");
    if (how["json"]) {
      c.from = capture_spec::source::json;
      try {
        c.path = json_path(r.text(how["json"], what));
      } catch (const std::invalid_argument& e) {
        r.fail(how["json"], e.what());
      }
    } else if (how["header"]) {
      c.from = capture_spec::source::header;
      c.header = r.text(how["header"], what);
    } else {
      c.from = capture_spec::source::regex;
      c.pattern = r.pattern(how["regex"], what);
    }
    out.push_back(std::move(c));
  }
}

failure_action read_failure_action(const reader& r, const YAML::Node& n) {
  const auto a = parse_failure_action(r.text(n, "on_failure"));
  if (!a) r.fail(n, "on_failure must be continue, end_task or stop_user, got " + described(n));
  return *a;
}

std::vector<std::string> read_tags(const reader& r, const YAML::Node& n) {
  if (!n.IsSequence()) r.fail(n, "tags must be a list of names, e.g. [checkout]");
  std::vector<std::string> out;
  for (const auto& t : n) {
    const std::string tag = r.text(t, "a tag");
    if (tag.empty()) r.fail(t, "a tag must not be empty");
    out.push_back(tag);
  }
  return out;
}

/// `headers:` and `query:` (maps of templated values) of a request or a ws step.
void read_headers_and_query(const reader& r, const YAML::Node& n, request_spec& req) {
  if (const auto h = n["headers"]) {
    r.expect_map(h, "headers");
    for (const auto& kv : h)
      req.headers.emplace_back(kv.first.as<std::string>(), r.templ(kv.second, "header value"));
  }
  if (const auto q = n["query"]) {
    r.expect_map(q, "query");
    for (const auto& kv : q)
      req.query.emplace_back(kv.first.as<std::string>(), r.templ(kv.second, "query value"));
  }
}

bool is_ws_step(const YAML::Node& n) {
  if (n.IsScalar()) return n.Scalar() == "close";
  return n.IsMap() && (n["ws"] || n["send"] || n["expect"] || n["close"]);
}

/// expect: {contains, not_contains, regex, json, timeout}: what the awaited message must match.
void read_expect(const reader& r, const YAML::Node& n, request_spec& req) {
  if (!n.IsMap())
    r.fail(n, "expect must be a mapping, e.g. {contains: pong, timeout: 2s} ({} for any message)");
  r.check_keys(n, {"contains", "not_contains", "regex", "json", "timeout"}, "expect");
  check_spec& c = req.check;
  if (n["contains"]) c.body_contains = r.text(n["contains"], "expect.contains");
  if (n["not_contains"]) c.not_contains = r.text(n["not_contains"], "expect.not_contains");
  if (n["regex"]) c.body_regex = r.pattern(n["regex"], "expect.regex");
  if (n["json"]) read_json_checks(r, n["json"], c.json);
  if (n["timeout"]) {
    req.ws->timeout = r.duration(n["timeout"], "expect.timeout");
    if (req.ws->timeout->count() <= 0) r.fail(n["timeout"], "expect.timeout must be more than 0");
  }
}

/// A WebSocket step: `ws: /path` (open), `send: text` (with `expect:` for a reply), `expect:`
/// (a message pushed by the server), or `close`.
request_spec read_ws_step(const reader& r, const YAML::Node& n, bool as_task,
                          failure_action inherited) {
  request_spec req;
  req.method = "WS";
  req.where = r.location(n);
  req.on_failure = inherited;
  req.ws.emplace();
  ws_step& ws = *req.ws;
  if (n.IsScalar()) {  // `- close`
    ws.what = ws_step::action::close;
    ws.derived_name = true;
    req.name = "close";
    return req;
  }
  const bool send_expect = n["send"] && n["expect"];
  const int verbs =
      (n["ws"] ? 1 : 0) + (n["send"] ? 1 : 0) + (n["expect"] ? 1 : 0) + (n["close"] ? 1 : 0);
  if (verbs != 1 && !(verbs == 2 && send_expect))
    r.fail(n, "a WebSocket step takes one of ws, send, expect, close (or send with expect)");
  std::set<std::string> allowed{"name", "on_failure"};
  if (as_task) allowed.insert({"weight", "tags"});
  if (const auto path = n["ws"]) {
    allowed.insert({"ws", "headers", "query", "max_message"});
    r.check_keys(n, allowed, "a ws step");
    ws.what = ws_step::action::open;
    req.path = r.templ(path, "ws path");
    const std::string& p = req.path.source();
    if (p.empty() || (p[0] != '/' && p.rfind("ws://", 0) != 0 && p.rfind("wss://", 0) != 0))
      r.fail(path, "ws path '" + p +
                       "' must start with '/' (on the target's server) or be a ws:// or wss:// "
                       "URL");
    req.name = req.path.constant() ? req.path.render({}) : p;
    read_headers_and_query(r, n, req);
    if (n["max_message"])
      ws.max_message = static_cast<std::size_t>(
          r.integer(n["max_message"], "max_message (bytes)", 1, std::int64_t{1} << 30));
  } else if (const auto code = n["close"]) {
    allowed.insert("close");
    r.check_keys(n, allowed, "a close step");
    ws.what = ws_step::action::close;
    ws.derived_name = true;
    req.name = "close";
    if (!code.IsNull())
      ws.close_code = static_cast<std::uint16_t>(
          r.integer(code, "close (a close code, or nothing for 1000)", 1000, 4999));
  } else {
    if (n["send"]) allowed.insert("send");
    if (n["expect"]) allowed.insert({"expect", "capture"});
    r.check_keys(n, allowed, n["send"] ? "a send step" : "an expect step");
    ws.derived_name = true;
    if (const auto m = n["send"]) {
      ws.what = ws_step::action::send;
      req.name = "send";
      if (m.IsScalar()) {
        req.body = r.templ(m, "send");
      } else {  // a mapping or a list: sent as JSON text
        req.json = to_json(r, m);
        collect_json_templates(r, m, *req.json, nlohmann::json::json_pointer(), req);
      }
    } else {
      ws.what = ws_step::action::expect;
      req.name = "expect";
    }
    if (const auto e = n["expect"]) {
      ws.expects = true;
      read_expect(r, e, req);
    }
    if (n["capture"]) {
      read_captures(r, n["capture"], req.captures);
      for (const auto& c : req.captures)
        if (c.from == capture_spec::source::header)
          r.fail(n["capture"], "capture '" + c.variable +
                                   "': a WebSocket message has no headers (use json or regex)");
    }
  }
  if (n["name"]) {
    req.name = r.text(n["name"], "name");
    ws.derived_name = false;
  }
  if (n["on_failure"]) req.on_failure = read_failure_action(r, n["on_failure"]);
  return req;
}

/// `multipart: {field: value, upload: {file: a.png, content_type: image/png, filename: b.png}}`.
void read_multipart(const reader& r, const YAML::Node& n, std::vector<multipart_spec>& out) {
  r.expect_map(n, "multipart");
  for (const auto& kv : n) {
    multipart_spec part;
    part.name = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (v.IsMap()) {
      r.check_keys(v, {"file", "content_type", "filename"}, "a multipart file");
      if (!v["file"])
        r.fail(v, "a multipart file needs file: (its path, relative to the scenario)");
      part.file = r.text(v["file"], "multipart file");
      part.contents = r.shipped_file(v["file"], "multipart file");
      part.filename = v["filename"] ? r.text(v["filename"], "multipart filename")
                                    : std::filesystem::path(part.file).filename().string();
      if (v["content_type"])
        part.content_type = r.text(v["content_type"], "multipart content_type");
    } else {
      part.value = r.templ(v, "multipart value");
    }
    out.push_back(std::move(part));
  }
}

/// A request; `as_task`: it is a task of its own (weight and tags allowed). Its on_failure, if
/// not its own, is `inherited`.
request_spec read_request(const reader& r, const YAML::Node& n, bool as_task,
                          failure_action inherited) {
  if (is_ws_step(n)) return read_ws_step(r, n, as_task, inherited);
  r.expect_map(n, "a request");
  std::set<std::string> allowed{"name", "headers",   "query", "body",    "json",
                                "form", "multipart", "check", "capture", "on_failure"};
  allowed.insert(http_methods.begin(), http_methods.end());
  if (as_task) allowed.insert({"weight", "tags"});
  r.check_keys(n, allowed, "a request");
  request_spec req;
  req.where = r.location(n);
  int methods = 0;
  for (const auto& m : http_methods) {
    if (!n[m]) continue;
    ++methods;
    req.method = m;
    for (auto& c : req.method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    req.path = r.templ(n[m], m + " path");
    const std::string& p = req.path.source();
    if (p.rfind("http://", 0) == 0 || p.rfind("https://", 0) == 0) {
      // Another origin than the target's: a URL that is all text is checked now.
      std::string error;
      if (req.path.constant() && !http::parse_url(req.path.render({}), error))
        r.fail(n[m], m + " URL " + error);
    } else if (p.empty() || p[0] != '/') {
      r.fail(n[m], m + " path '" + p + "' must start with '/' (or be a URL: http[s]://host/...)");
    }
    // A path that is all text once its ${env...} are in is named as it is sent.
    req.name = req.path.constant() ? req.path.render({}) : req.path.source();
  }
  if (methods != 1)
    r.fail(n, "a request needs exactly one of get, post, put, delete, patch, head, options");
  if (n["name"]) req.name = r.text(n["name"], "name");
  read_headers_and_query(r, n, req);
  if ((n["body"] ? 1 : 0) + (n["json"] ? 1 : 0) + (n["form"] ? 1 : 0) + (n["multipart"] ? 1 : 0) >
      1)
    r.fail(n, "a request takes one body: body, json, form or multipart");
  if (n["body"]) req.body = r.templ(n["body"], "body");
  if (const auto f = n["form"]) {
    r.expect_map(f, "form");
    for (const auto& kv : f)
      req.form.emplace_back(kv.first.as<std::string>(), r.templ(kv.second, "form value"));
  }
  if (const auto mp = n["multipart"]) read_multipart(r, mp, req.multipart);
  if (const auto j = n["json"]) {
    req.json = to_json(r, j);
    collect_json_templates(r, j, *req.json, nlohmann::json::json_pointer(), req);
  }
  if (n["check"]) read_check(r, n["check"], req.check);
  if (n["capture"]) read_captures(r, n["capture"], req.captures);
  req.on_failure = n["on_failure"] ? read_failure_action(r, n["on_failure"]) : inherited;
  return req;
}

std::vector<request_spec> read_steps(const reader& r, const YAML::Node& n, const std::string& what,
                                     failure_action inherited) {
  r.expect_list(n, what);
  std::vector<request_spec> out;
  for (const auto& step : n) out.push_back(read_request(r, step, false, inherited));
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
    t.steps.push_back(read_request(r, n, true, user_default));
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
  if (n["run_time"]) l.run_time = r.duration(n["run_time"], "load.run_time");
  if (const auto a = n["arrival_rate"]) {
    r.expect_map(a, "load.arrival_rate");
    r.check_keys(a, {"rate", "max_users"}, "load.arrival_rate");
    arrival_spec spec;
    if (a["rate"]) spec.rate = r.rate(a["rate"], "load.arrival_rate.rate");
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
    // It would be silently unused: each stage has its own rate, or ramps over its duration.
    if (!l.arrival && n["spawn_rate"])
      r.fail(n["spawn_rate"],
             "load.spawn_rate does not apply to stages: give a stage its own spawn_rate, or none "
             "to ramp linearly over its duration");
    for (const auto& s : st) {
      r.expect_map(s, "a stage");
      stage_spec stage;
      if (l.arrival) {
        r.check_keys(s, {"duration", "rate"}, "a stage of the open model");
        if (!s["duration"] || !s["rate"])
          r.fail(s, "a stage of the open model needs duration and rate");
        stage.rate = r.rate(s["rate"], "stage rate");
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
  }
  return l;
}

/// "p95 < 250ms", or a map: {check: "fail_ratio < 0.01", abort_on_fail: true, delay: 10s} on
/// every request, with name (and method) on the requests of one name.
threshold read_threshold(const reader& r, const YAML::Node& t) {
  YAML::Node check = t;
  std::string name, method;
  bool abort_on_fail = false;
  microseconds delay{0};
  if (t.IsMap()) {
    r.check_keys(t, {"name", "method", "check", "abort_on_fail", "delay"}, "a threshold");
    if (t["name"] && !t["check"]) r.fail(t, "a threshold on one name needs name and check");
    if (!t["check"])
      r.fail(t, "a threshold needs check, e.g. {check: fail_ratio < 0.01, abort_on_fail: true}");
    if (t["name"]) name = r.text(t["name"], "threshold name");
    if (t["method"]) {
      if (!t["name"])
        r.fail(t["method"],
               "a threshold's method needs a name too, e.g. {name: /items, method: "
               "GET, check: p95 < 250ms}");
      method = r.text(t["method"], "threshold method");
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

scenario load(const reader& r, const std::string& text) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw config_error(r.where(e.mark) + ": not valid YAML: " + e.msg);
  }
  try {
    if (!root.IsMap())
      throw config_error(r.file() + ": a scenario is a mapping with target, load and users");
    r.check_keys(root,
                 {"target", "load", "users", "thresholds", "report", "http", "dns", "stats",
                  "scripting", "script"},
                 "the scenario");
    scenario s;
    s.file = r.file();
    if (!root["target"])
      r.fail(root, "the scenario needs a target, e.g. target: http://127.0.0.1:8080");
    s.target = r.text(root["target"], "target");
    std::string url_error;
    if (!http::parse_url(s.target, url_error)) r.fail(root["target"], "target: " + url_error);
    if (root["load"]) s.load = read_load(r, root["load"]);
    if (!root["users"])
      r.fail(root, "the scenario needs users (a list of user classes with tasks)");
    r.expect_list(root["users"], "users");
    std::set<std::string> names;
    for (std::size_t i = 0; i < root["users"].size(); ++i) {
      s.users.push_back(read_user(r, root["users"][i], i, s.scripts));
      if (!names.insert(s.users.back().name).second)
        r.fail(root["users"][i], "two user classes are named '" + s.users.back().name + "'");
    }
    if (s.users.empty()) r.fail(root["users"], "users must not be empty");
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
      if (rep["csv"]) s.report.csv_prefix = r.text(rep["csv"], "report.csv");
      if (rep["html"]) s.report.html_file = r.text(rep["html"], "report.html");
      if (rep["json"]) s.report.json_file = r.text(rep["json"], "report.json");
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
      if (h["connect_timeout"])
        s.http.connect_timeout = r.duration(h["connect_timeout"], "http.connect_timeout");
      if (h["timeout"]) s.http.timeout = r.duration(h["timeout"], "http.timeout");
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
      r.check_keys(d, {"servers", "max_ttl"}, "dns");
      if (const auto servers = d["servers"]) {
        r.expect_list(servers, "dns.servers");
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
  // to a target of its choosing): every ${env.NAME} is unset, so only defaults apply.
  return load(reader(
                  name, base_dir, [](const std::string&) { return std::optional<std::string>(); },
                  nullptr, true),
              text);
}

scenario load_scenario_text(const std::string& text, const std::string& name,
                            const data_file_contents& data, const environment_lookup& env) {
  return load(reader(name, ".", env, &data), text);
}

scenario load_scenario_file(const std::string& path, const environment_lookup& env) {
  std::ifstream in(path);
  if (!in) throw config_error(path + ": cannot read the scenario file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  const auto slash = path.find_last_of('/');
  return load_scenario_text(buffer.str(), path,
                            slash == std::string::npos ? "." : path.substr(0, slash), env);
}

}  // namespace swarmlet::config
