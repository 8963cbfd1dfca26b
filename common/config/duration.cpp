#include "duration.hpp"

#include <cctype>
#include <charconv>
#include <cmath>

namespace swarmlet::config {

std::optional<std::chrono::microseconds> parse_duration(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  double total_us = 0;
  bool any = false;
  // Units go from the largest down, each once ("1h30m", not "30m1h" nor "1h1h": a typo more
  // likely than a sum, as Locust's time spans read it).
  double last_scale = 0;
  while (!text.empty()) {
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || value < 0 || !std::isfinite(value)) return std::nullopt;
    text.remove_prefix(end - text.data());
    std::size_t unit_len = 0;
    while (unit_len < text.size() && std::isalpha(static_cast<unsigned char>(text[unit_len])))
      ++unit_len;
    const std::string_view unit = text.substr(0, unit_len);
    text.remove_prefix(unit_len);
    double scale;
    if (unit.empty()) {
      if (any || !text.empty()) return std::nullopt;  // "1h30" is ambiguous
      scale = 1e6;
    } else if (unit == "us") {
      scale = 1;
    } else if (unit == "ms") {
      scale = 1e3;
    } else if (unit == "s") {
      scale = 1e6;
    } else if (unit == "m") {
      scale = 60e6;
    } else if (unit == "h") {
      scale = 3600e6;
    } else if (unit == "d") {
      scale = 86400e6;
    } else {
      return std::nullopt;
    }
    if (any && scale >= last_scale) return std::nullopt;
    last_scale = scale;
    total_us += value * scale;
    any = true;
  }
  if (total_us > 1e15) return std::nullopt;
  return std::chrono::microseconds(static_cast<std::int64_t>(std::llround(total_us)));
}

std::optional<double> parse_rate(std::string_view text, bool zero_allowed) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || !(value > 0 || (zero_allowed && value == 0)) || !std::isfinite(value))
    return std::nullopt;
  std::string_view unit = text.substr(end - text.data());
  double per_second;
  if (unit.empty() || unit == "/s")
    per_second = value;
  else if (unit == "/m")
    per_second = value / 60;
  else if (unit == "/h")
    per_second = value / 3600;
  else if (unit == "/ms")
    per_second = value * 1000;
  else
    return std::nullopt;
  if (per_second > 1e7) return std::nullopt;
  return per_second;
}

std::string format_duration(std::chrono::microseconds d) {
  std::int64_t us = d.count();
  if (us == 0) return "0s";
  if (us % 1000 != 0) return std::to_string(us) + "us";
  if (us % 1'000'000 != 0) return std::to_string(us / 1000) + "ms";
  std::int64_t s = us / 1'000'000;
  std::string out;
  if (s >= 3600) {
    out += std::to_string(s / 3600) + "h";
    s %= 3600;
  }
  if (s >= 60) {
    out += std::to_string(s / 60) + "m";
    s %= 60;
  }
  if (s > 0) out += std::to_string(s) + "s";
  return out;
}

}  // namespace swarmlet::config
