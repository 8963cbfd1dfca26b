#include "flag_checks.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

#include "common/config/duration.hpp"

namespace swarmlet::app {
namespace {

std::string upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

bool parses_whole(std::string_view text) {
  long long value = 0;
  const auto* end = text.data() + text.size();
  const auto* begin = text.data() + (!text.empty() && text.front() == '+' ? 1 : 0);
  const auto [ptr, ec] = std::from_chars(begin, end, value);
  return ec == std::errc() && ptr == end && begin != end;
}

bool parses_number(std::string_view text) {
  double value = 0;
  const auto* end = text.data() + text.size();
  const auto* begin = text.data() + (!text.empty() && text.front() == '+' ? 1 : 0);
  const auto [ptr, ec] = std::from_chars(begin, end, value, std::chars_format::general);
  return ec == std::errc() && ptr == end && begin != end && std::isfinite(value);
}

}  // namespace

std::string_view version() noexcept {
  return SWARMLET_VERSION;
}

std::string version_line() {
  return "swarmlet " + std::string(version());
}

CLI::Validator whole_number() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        if (parses_whole(value)) return {};
        return "'" + value + "' is not " + (parses_number(value) ? "a whole number" : "a number");
      },
      "", "whole number");
}

CLI::Validator any_number() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        return parses_number(value) ? std::string() : "'" + value + "' is not a number";
      },
      "", "number");
}

CLI::Validator not_empty() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        return value.empty() ? "is empty: give a value, or leave the flag out" : std::string();
      },
      "", "not empty");
}

void refuse_empty_environment(const CLI::App& cmd, std::span<const std::string_view> guarded) {
  for (const CLI::Option* opt : cmd.get_options()) {
    if (opt->get_envname().empty() || opt->count() != 0 ||
        std::find(guarded.begin(), guarded.end(), opt->get_envname()) == guarded.end())
      continue;
    const char* value = std::getenv(opt->get_envname().c_str());
    if (value != nullptr && *value == '\0')
      throw CLI::ValidationError(opt->get_envname() + " (" + opt->get_name() +
                                 "): is empty: give a value, or unset it");
  }
}

std::optional<log_level> parse_log_level(std::string_view text) {
  const std::string level = upper(text);
  if (level == "DEBUG") return log_level::debug;
  if (level == "INFO") return log_level::info;
  if (level == "WARNING" || level == "WARN") return log_level::warning;
  if (level == "ERROR") return log_level::error;
  if (level == "CRITICAL") return log_level::critical;
  return std::nullopt;
}

CLI::Validator log_level_check() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        if (parse_log_level(value)) return {};
        return "'" + value + "' is not a log level (DEBUG, INFO, WARNING, ERROR or CRITICAL)";
      },
      "LEVEL", "log level");
}

CLI::Validator duration_check() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        if (config::parse_duration(value)) return {};
        return "'" + value + "' is not a duration (e.g. 30s, 5m, 1h30m)";
      },
      "DURATION", "duration");
}

void add_version_flag(CLI::App& cmd) {
  cmd.set_version_flag("--version", version_line(), "Print swarmlet's version and exit");
}

void add_log_level_flag(CLI::App& cmd, log_level& level) {
  cmd.add_option_function<std::string>(
         "--loglevel", [&level](const std::string& text) { level = parse_log_level(text).value(); },
         "DEBUG, INFO (default), WARNING, ERROR or CRITICAL: at WARNING and above the master's "
         "and workers' event lines on stderr (worker joined, spawn ...) are not printed, at ERROR "
         "and above neither are warnings; errors always are")
      ->envname("SWARMLET_LOGLEVEL")
      ->check(log_level_check());
}

std::string with_env_source(const CLI::App& app, const std::string& message,
                            const std::vector<std::string>& args) {
  const auto colon = message.find(": ");
  if (colon == std::string::npos || message.rfind("-", 0) != 0) return message;
  const std::string flag = message.substr(0, colon);
  for (const CLI::App* sub : app.get_subcommands()) {
    const CLI::Option* opt = sub->get_option_no_throw(flag);
    if (opt == nullptr || opt->get_envname().empty() ||
        std::getenv(opt->get_envname().c_str()) == nullptr)
      continue;
    for (const auto& arg : args) {
      for (const auto& l : opt->get_lnames())
        if (arg == "--" + l || arg.rfind("--" + l + "=", 0) == 0) return message;
      for (const auto& s : opt->get_snames())
        if (arg.rfind("-" + s, 0) == 0) return message;
    }
    return opt->get_envname() + " (" + flag + ")" + message.substr(colon);
  }
  return message;
}

master_address master_address_from(const std::string& text) {
  const auto bad = [&](const std::string& why) {
    return std::invalid_argument("--master '" + text + "': " + why + " (expected HOST[:PORT])");
  };
  if (text.empty()) throw bad("it is empty");
  if (text.find("://") != std::string::npos)
    throw bad(
        "a URL: give the master's host and port only, as tcp://, http:// and the like are "
        "not part of it");
  master_address a;
  std::string port;
  if (text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos) throw bad("it has no ']'");
    a.host = text.substr(0, close + 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') throw bad("only ':PORT' may follow ']'");
      port = text.substr(close + 2);
      if (port.empty()) throw bad("the port is missing after ':'");
    }
    if (a.host.size() == 2) throw bad("the address between [ ] is empty");
    const std::string inside = a.host.substr(1, a.host.size() - 2);
    if (inside.find_first_not_of("0123456789abcdefABCDEF:.") != std::string::npos ||
        inside.find(':') == std::string::npos)
      throw bad("'" + inside + "' is not an IPv6 address");
  } else {
    const auto colon = text.rfind(':');
    if (colon != std::string::npos && text.find(':') != colon)
      throw bad("an IPv6 address goes in brackets");
    a.host = text.substr(0, colon);
    if (colon != std::string::npos) {
      port = text.substr(colon + 1);
      if (port.empty()) throw bad("the port is missing after ':'");
    }
    if (a.host.empty()) throw bad("the host is empty");
  }
  for (const char c : a.host)
    if (static_cast<unsigned char>(c) <= ' ' || c == '/' || c == '?' || c == '#' || c == '@')
      throw bad("the host has a character no host name has");
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
      throw bad("the port is not a number");
    a.port = std::stoi(port);
    if (a.port < 1 || a.port > 65535) throw bad("the port is not in 1..65535");
  }
  return a;
}

std::string scenario_file_from(const std::string& positional, const std::string& option) {
  if (!positional.empty() && !option.empty())
    throw std::invalid_argument("the scenario file is given twice, as FILE '" + positional +
                                "' and as -f '" + option + "': give one of them");
  if (positional.empty() && option.empty())
    throw std::invalid_argument("no scenario file: give it as FILE or with -f FILE");
  return positional.empty() ? option : positional;
}

}  // namespace swarmlet::app
