#include "request_reader.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string_view>

#include "common/http/request_syntax.hpp"
#include "common/http/url.hpp"

namespace swarmlet::config::loading {
namespace {

const std::set<std::string> http_methods{"get",   "post", "put",    "delete",
                                         "patch", "head", "options"};

// YAML aliases let a few hundred bytes name a value of billions of parts ("billion laughs"), and
// a value is expanded into JSON in full: the expansion stops at these bounds with an error.
constexpr std::size_t max_json_values = 1'000'000;
constexpr std::size_t max_json_text = 64u << 20;

struct json_budget {
  const YAML::Node& top;
  std::size_t values = 0, text = 0;
  void spend(const reader& r, std::size_t text_bytes) {
    text += text_bytes;
    if (++values > max_json_values || text > max_json_text)
      r.fail(top, "this value expands to more than " + std::to_string(max_json_values) +
                      " values or " + std::to_string(max_json_text >> 20) +
                      " MiB of text (YAML aliases repeat what they name)");
  }
};

/// A plain scalar as YAML 1.2's core schema reads it: a whole number (decimal, 0o octal, 0x
/// hex), a number, a boolean, null, or else a string. yaml-cpp reads YAML 1.1: NO and on as
/// booleans, 01234 as octal 668.
nlohmann::json plain_scalar(const reader& r, const YAML::Node& n) {
  const std::string& text = n.Scalar();
  std::string_view digits = text;
  const bool negative = !digits.empty() && digits[0] == '-';
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) digits.remove_prefix(1);
  const auto whole = [&](std::string_view d, int base) -> std::optional<nlohmann::json> {
    if (d.empty()) return std::nullopt;
    std::uint64_t magnitude = 0;
    const auto [end, ec] = std::from_chars(d.data(), d.data() + d.size(), magnitude, base);
    if (end != d.data() + d.size()) return std::nullopt;  // not all digits: not a whole number
    if (ec == std::errc() && !negative) return nlohmann::json(magnitude);
    if (ec == std::errc() && magnitude <= std::uint64_t{1} << 63)
      return nlohmann::json(static_cast<std::int64_t>(0 - magnitude));
    r.fail(n, "'" + text + "' is a whole number beyond what JSON numbers here hold (-2^63 to " +
                  "2^64 - 1): quote it to send it as a string");
  };
  const bool all_decimal = !digits.empty() && std::all_of(digits.begin(), digits.end(), [](char c) {
    return c >= '0' && c <= '9';
  });
  if (all_decimal) return *whole(digits, 10);
  if (text.size() > 2 && text[0] == '0' && text[1] == 'o')
    if (auto v = whole(std::string_view(text).substr(2), 8)) return *v;
  if (text.size() > 2 && text[0] == '0' && text[1] == 'x')
    if (auto v = whole(std::string_view(text).substr(2), 16)) return *v;
  // [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
  std::size_t i = 0, mantissa_digits = 0;
  while (i < digits.size() && digits[i] >= '0' && digits[i] <= '9') ++i, ++mantissa_digits;
  if (i < digits.size() && digits[i] == '.')
    for (++i; i < digits.size() && digits[i] >= '0' && digits[i] <= '9';) ++i, ++mantissa_digits;
  bool is_float = mantissa_digits > 0;
  if (is_float && i < digits.size() && (digits[i] == 'e' || digits[i] == 'E')) {
    ++i;
    if (i < digits.size() && (digits[i] == '-' || digits[i] == '+')) ++i;
    const std::size_t exponent_start = i;
    while (i < digits.size() && digits[i] >= '0' && digits[i] <= '9') ++i;
    is_float = i > exponent_start;
  }
  if (is_float && i == digits.size()) {
    double v = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec != std::errc() || end != digits.data() + digits.size())
      r.fail(n, "'" + text + "' is a number beyond a double's range: JSON cannot carry it");
    return negative ? -v : v;
  }
  static const std::set<std::string> non_finite{".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN"};
  if (non_finite.count(std::string(digits)) != 0)
    r.fail(n, "'" + text + "': JSON has no infinity or NaN (quote it to send it as a string)");
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  if (text == "null" || text == "Null" || text == "NULL" || text == "~") return nullptr;
  return text;
}

template <class Json>
Json to_json_within(const reader& r, const YAML::Node& n, json_budget& budget) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      budget.spend(r, 0);
      Json j = Json::object();
      for (const auto& kv : n) {
        const auto key = kv.first.as<std::string>();
        budget.spend(r, key.size());
        j[key] = to_json_within<Json>(r, kv.second, budget);
      }
      return j;
    }
    case YAML::NodeType::Sequence: {
      budget.spend(r, 0);
      Json j = Json::array();
      for (const auto& e : n) j.push_back(to_json_within<Json>(r, e, budget));
      return j;
    }
    case YAML::NodeType::Scalar: {
      budget.spend(r, n.Scalar().size());
      // Quoted, or tagged !!str: always a string, as YAML reads it (`zip: !!str 01234` is
      // "01234", not the number 1234).
      if (n.Tag() == "!" || n.Tag() == "tag:yaml.org,2002:str") return n.Scalar();
      // Any other explicit tag (!!int, !!binary, !custom) would be dropped without a word.
      if (n.Tag() != "?")
        r.fail(n, "the YAML tag '" + n.Tag() +
                      "' is not read here: quote the value to send it as a string, or leave "
                      "the tag out");
      return Json(plain_scalar(r, n));
    }
    default:
      return nullptr;
  }
}

}  // namespace

nlohmann::json to_json(const reader& r, const YAML::Node& n) {
  json_budget budget{n};
  return to_json_within<nlohmann::json>(r, n, budget);
}

nlohmann::ordered_json to_json_body(const reader& r, const YAML::Node& n) {
  json_budget budget{n};
  return to_json_within<nlohmann::ordered_json>(r, n, budget);
}

void collect_json_templates(const reader& r, const YAML::Node& at, const nlohmann::ordered_json& j,
                            const nlohmann::ordered_json::json_pointer& ptr, request_spec& req) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it)
      collect_json_templates(r, at, it.value(), ptr / it.key(), req);
  } else if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i) collect_json_templates(r, at, j[i], ptr / i, req);
  } else if (j.is_string() && j.get<std::string>().find("${") != std::string::npos) {
    req.json_templates.emplace_back(ptr, r.templ(at, j.get<std::string>(), "json value"));
  }
}

namespace {

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
    // A name no response header can have ("Content Type") makes a check that never passes.
    if (const std::string why = http::check_header_name(h.name); !why.empty())
      r.fail(kv.first, "check.header: " + why);
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

/// Whether `key` is operator `op` mistyped: `$gt` (Mongo's spelling), a letter doubled (`gtt`,
/// `eqq`), or for the long ones one letter dropped, added, changed or two swapped (`exist`,
/// `contians`). Short words one edit from a short operator are real keys too often (`age`,
/// `get`, `at`) to be refused.
bool mistyped_op(std::string_view key, std::string_view op) {
  if (key.size() == op.size() + 1 && (key == "$" + std::string(op))) return true;
  for (std::size_t i = 0; i + 1 < key.size(); ++i)
    if (key[i] == key[i + 1] &&
        std::string(key.substr(0, i)) + std::string(key.substr(i + 1)) == op)
      return true;
  if (op.size() < 5) return false;
  std::string_view a = key, b = op;
  if (a.size() > b.size()) std::swap(a, b);
  if (b.size() - a.size() > 1 || a == b) return false;
  std::size_t i = 0;
  while (i < a.size() && a[i] == b[i]) ++i;
  if (a.size() < b.size()) return a.substr(i) == b.substr(i + 1);
  return a.substr(i + 1) == b.substr(i + 1) ||
         (i + 1 < a.size() && a[i] == b[i + 1] && a[i + 1] == b[i] &&
          a.substr(i + 2) == b.substr(i + 2));
}

/// The operator a mapping's one key was likely meant to be (`gtt`, `$gt`, `exist`): such a
/// mapping compared as a value would fail every response, not say what was meant.
std::optional<std::string_view> mistyped_json_op(const YAML::Node& v) {
  if (!v.IsMap() || v.size() != 1) return std::nullopt;
  const auto key = v.begin()->first.as<std::string>();
  for (const std::string_view op :
       {"eq", "ne", "gt", "ge", "gte", "lt", "le", "lte", "exists", "contains"})
    if (mistyped_op(key, op)) return op;
  return std::nullopt;
}

}  // namespace

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
      if (const auto op = mistyped_json_op(v))
        r.fail(v.begin()->first, "check.json " + base.path.source() + ": '" +
                                     v.begin()->first.as<std::string>() +
                                     "' is not a comparison: did you mean '" + std::string(*op) +
                                     "'? (to compare with a mapping, write {eq: {...}})");
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

namespace {

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

}  // namespace

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
      if (const std::string why = http::check_header_name(c.header); !why.empty())
        r.fail(how["header"], what + ": " + why);
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

void refuse_unsendable_target(const reader& r, const YAML::Node& n, const std::string& what,
                              const template_string& path) {
  if (const std::string why = http::check_request_target(path.fixed_text()); !why.empty())
    r.fail(n, what + ": " + why);
}

void read_headers_and_query(const reader& r, const YAML::Node& n, request_spec& req) {
  if (const auto h = n["headers"]) {
    r.expect_map(h, "headers");
    for (const auto& kv : h) {
      const auto name = kv.first.as<std::string>();
      if (const std::string why = http::check_header_name(name); !why.empty())
        r.fail(kv.first, "headers: " + why);
      template_string value = r.templ(kv.second, "header value");
      // What variables bring in is checked when the request is sent (http::client).
      if (const std::string why = http::check_header_value(name, value.fixed_text()); !why.empty())
        r.fail(kv.second, "headers: " + why);
      req.headers.emplace_back(name, std::move(value));
    }
  }
  if (const auto q = n["query"]) {
    r.expect_map(q, "query");
    for (const auto& kv : q)
      req.query.emplace_back(kv.first.as<std::string>(), r.templ(kv.second, "query value"));
  }
}

namespace {

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

}  // namespace

request_spec read_request(const reader& r, const YAML::Node& n, bool as_task,
                          failure_action inherited) {
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
    refuse_unsendable_target(r, n[m], m + " path", req.path);
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
    // A URL's user:password@ is not part of it (the reports would show the password).
    req.name =
        http::without_userinfo(req.path.constant() ? req.path.render({}) : req.path.source());
  }
  if (methods != 1)
    r.fail(n, "a request needs exactly one of get, post, put, delete, patch, head, options");
  if (n["name"]) req.name = r.stats_name(n["name"], "name");
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
    req.json = to_json_body(r, j);
    collect_json_templates(r, j, *req.json, nlohmann::ordered_json::json_pointer(), req);
  }
  if (n["check"]) read_check(r, n["check"], req.check);
  if (n["capture"]) read_captures(r, n["capture"], req.captures);
  req.on_failure = n["on_failure"] ? read_failure_action(r, n["on_failure"]) : inherited;
  return req;
}

}  // namespace swarmlet::config::loading
