#include "template_string.hpp"

#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <random>
#include <stdexcept>

namespace swarmlet::config {
namespace {

[[noreturn]] void fail(std::size_t at, const std::string& why) {
  throw std::invalid_argument("at character " + std::to_string(at + 1) + ": " + why);
}

bool is_name(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

std::int64_t integer(std::string_view s, std::size_t at) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size())
    fail(at, "'" + std::string(s) + "' is not an integer");
  return v;
}

}  // namespace

template_string::template_string(std::string_view text) : source_(text) {
  std::string literal;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 3, "$${") == 0) {
      literal += "${";
      i += 3;
      continue;
    }
    if (text.compare(i, 2, "${") != 0) {
      literal += text[i++];
      continue;
    }
    const std::size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) fail(i, "'${' without a closing '}'");
    const std::string_view expr = text.substr(i + 2, close - i - 2);
    if (!literal.empty()) parts_.push_back({part_kind::literal, std::move(literal)});
    literal.clear();
    const std::size_t paren = expr.find('(');
    if (expr.rfind("env.", 0) == 0) {
      // ${env.NAME} or ${env.NAME:-default}; the default may hold anything but '}'.
      const std::string_view rest = expr.substr(4);
      const std::size_t dash = rest.find(":-");
      const std::string_view name = rest.substr(0, dash);
      if (!is_name(name))
        fail(i, "'" + std::string(name) + "' is not an environment variable name (${env.NAME})");
      part p{part_kind::env, std::string(name)};
      if (dash != std::string_view::npos) p.fallback = std::string(rest.substr(dash + 2));
      parts_.push_back(std::move(p));
    } else if (paren == std::string_view::npos) {
      if (!is_name(expr)) fail(i, "'" + std::string(expr) + "' is not a variable name");
      parts_.push_back({part_kind::variable, std::string(expr)});
    } else {
      const std::string_view fn = expr.substr(0, paren);
      if (expr.back() != ')') fail(i, "'" + std::string(expr) + "': missing ')'");
      const std::string_view args = expr.substr(paren + 1, expr.size() - paren - 2);
      if (fn == "random") {
        const std::size_t comma = args.find(',');
        if (comma == std::string_view::npos) fail(i, "random takes two integers: random(a,b)");
        part p{part_kind::random_int, ""};
        p.a = integer(args.substr(0, comma), i);
        p.b = integer(args.substr(comma + 1), i);
        if (p.a > p.b) fail(i, "random(a,b) needs a <= b");
        parts_.push_back(p);
      } else if (fn == "random_string") {
        part p{part_kind::random_string, ""};
        p.a = integer(args, i);
        if (p.a < 0 || p.a > 1 << 20) fail(i, "random_string(n) needs 0 <= n <= 1048576");
        parts_.push_back(p);
      } else if (fn == "uuid" || fn == "now_ms") {
        if (!args.empty()) fail(i, std::string(fn) + "() takes no arguments");
        parts_.push_back({fn == "uuid" ? part_kind::uuid : part_kind::now_ms, ""});
      } else {
        fail(i, "unknown function '" + std::string(fn) +
                    "' (known: random, random_string, uuid, now_ms)");
      }
    }
    i = close + 1;
  }
  if (!literal.empty()) parts_.push_back({part_kind::literal, std::move(literal)});
}

environment_lookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    if (const char* v = std::getenv(name.c_str())) return std::string(v);
    return std::nullopt;
  };
}

void template_string::resolve_environment(const environment_lookup& env,
                                          std::map<std::string, std::string>& used) {
  std::vector<part> resolved;
  for (part& p : parts_) {
    if (p.kind == part_kind::env) {
      std::string value;
      if (auto v = env ? env(p.text) : std::nullopt) {
        value = *v;
        used[p.text] = value;
      } else if (p.fallback) {
        value = *p.fallback;
      } else if (!env) {
        // "is not set" sent whoever posted it to check an environment that is never read.
        throw std::invalid_argument("environment variable " + p.text +
                                    ": a posted scenario reads no environment variable (give it "
                                    "a default: ${env." +
                                    p.text + ":-value})");
      } else {
        throw std::invalid_argument("environment variable " + p.text +
                                    " is not set (give it a default: ${env." + p.text +
                                    ":-value})");
      }
      p = {part_kind::literal, std::move(value)};
    }
    // Adjacent literals become one, so a template that was all text and ${env...} is constant.
    if (p.kind == part_kind::literal && !resolved.empty() &&
        resolved.back().kind == part_kind::literal) {
      resolved.back().text += p.text;
    } else if (p.kind != part_kind::literal || !p.text.empty()) {
      resolved.push_back(std::move(p));
    }
  }
  parts_ = std::move(resolved);
}

void template_string::render_to(const render_context& ctx, std::string& out) const {
  static constexpr char alphabet[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  for (const part& p : parts_) {
    switch (p.kind) {
      case part_kind::literal:
        out += p.text;
        break;
      case part_kind::variable:
        if (ctx.lookup) {
          if (const std::string* v = ctx.lookup(p.text)) out += *v;
        }
        break;
      case part_kind::random_int: {
        std::uniform_int_distribution<std::int64_t> d(p.a, p.b);
        out += std::to_string(ctx.rng ? d(*ctx.rng) : p.a);
        break;
      }
      case part_kind::random_string: {
        std::uniform_int_distribution<int> d(0, sizeof alphabet - 2);
        for (std::int64_t k = 0; k < p.a; ++k) out += ctx.rng ? alphabet[d(*ctx.rng)] : 'x';
        break;
      }
      case part_kind::uuid: {
        // RFC 4122 version 4: 122 random bits, the version nibble 4, the variant bits 10.
        std::uint64_t hi = ctx.rng ? (*ctx.rng)() : 0, lo = ctx.rng ? (*ctx.rng)() : 0;
        hi = (hi & ~0xF000ull) | 0x4000ull;
        lo = (lo & ~(3ull << 62)) | (2ull << 62);
        static constexpr char hex[] = "0123456789abcdef";
        char text[36];
        int k = 0;
        for (int nibble = 0; nibble < 32; ++nibble) {
          if (nibble == 8 || nibble == 12 || nibble == 16 || nibble == 20) text[k++] = '-';
          const std::uint64_t word = nibble < 16 ? hi : lo;
          text[k++] = hex[(word >> (60 - 4 * (nibble % 16))) & 15];
        }
        out.append(text, sizeof text);
        break;
      }
      case part_kind::now_ms:
        out += std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count());
        break;
      case part_kind::env:  // not resolved (the loader always resolves): its default
        if (p.fallback) out += *p.fallback;
        break;
    }
  }
}

std::string template_string::render(const render_context& ctx) const {
  std::string out;
  render_to(ctx, out);
  return out;
}

std::vector<std::string> template_string::variables() const {
  std::vector<std::string> out;
  for (const part& p : parts_)
    if (p.kind == part_kind::variable) out.push_back(p.text);
  return out;
}

std::string template_string::fixed_text() const {
  std::string out;
  for (const part& p : parts_)
    if (p.kind == part_kind::literal) out += p.text;
  return out;
}

}  // namespace swarmlet::config
