#pragma once
// The scenario loader's reader of YAML nodes: typed values whose mistakes fail with the
// file:line:column of the node, and the files a scenario names (data, scripts, bodies), read
// next to it or taken from what the master shipped. Internal to the loader.
#include <yaml-cpp/yaml.h>

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "config_error.hpp"
#include "duration.hpp"
#include "regex.hpp"
#include "scenario.hpp"
#include "template_string.hpp"

namespace swarmlet::config::loading {

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
    // `body: !!binary aGk=` would go out as the base64 text, not the bytes it names.
    if (n.Tag() == "tag:yaml.org,2002:binary")
      fail(n, what +
                  ": a !!binary value is not decoded here (it would be sent as its base64 "
                  "text): give the text itself, or a multipart file part");
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
  /// A rate per second; 0 only where `zero_allowed` (a stage of the open model may pause).
  double rate(const YAML::Node& n, const std::string& what, bool zero_allowed = false) const {
    if (!n.IsScalar()) fail(n, what + " must be a rate like 5000/s");
    auto v = parse_rate(n.Scalar(), zero_allowed);
    if (!v)
      fail(n, what + ": '" + n.Scalar() + "' is not a rate " +
                  (zero_allowed ? "from 0" : "above 0") +
                  " up to 10000000/s (expected e.g. 5000/s, 300/m, 10/h)");
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
  /// A stats name written at `n` (a request's, a threshold's): with its ${env.NAME} resolved
  /// when nothing else varies, as a path's are when it names its request, so that a threshold
  /// names what the request reports (it never matched `/t/${env.T}`); other substitutions stay
  /// as written (a name is never rendered per user).
  std::string stats_name(const YAML::Node& n, const std::string& what) const {
    const std::string written = text(n, what);
    try {
      template_string t(written);
      t.resolve_environment(env_, environment_used_);
      return t.constant() ? t.render({}) : t.source();
    } catch (const std::invalid_argument&) {
      return written;  // no template (`/items/${item-id}`, an unset ${env.X}): as written
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
  const std::string& shipped_file(const YAML::Node& n, const std::string& what) const;
  /// Every file shipped_file() read.
  const std::map<std::string, std::string>& shipped_files() const { return shipped_; }
  /// Every ${env.NAME} value the templates read so far.
  const std::map<std::string, std::string>& environment_used() const { return environment_used_; }
  const std::string& file() const { return file_; }
  /// Reads the data file the scenario names `name`: from the contents given, or from disk
  /// relative to the scenario. Throws std::runtime_error naming it.
  void read_data(const std::string& name, std::vector<std::string>& columns,
                 std::vector<std::vector<std::string>>& rows) const;
  /// The text of the script the scenario names `name` (given, or read next to the scenario).
  /// Throws std::runtime_error naming it.
  std::string read_script(const std::string& name) const;

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

}  // namespace swarmlet::config::loading
