#include "test_target.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "common/green/operations.hpp"
#include "common/http/query.hpp"

namespace swarmlet::http {
namespace {

std::optional<long> number_after(std::string_view path, std::string_view prefix) {
  if (path.substr(0, prefix.size()) != prefix) return std::nullopt;
  const std::string_view digits = path.substr(prefix.size());
  long v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return v;
}

void json_body(response& res, const nlohmann::json& j) {
  res.headers.add("Content-Type", "application/json");
  // Recorded bodies may be any bytes: invalid UTF-8 is replaced, never thrown at the server.
  res.body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::map<std::string, std::uint64_t> test_target::recorded() const {
  std::lock_guard lock(record_mutex_);
  return recorded_;
}

void test_target::handle(const request& req, response& res) {
  const std::string_view path = target_path(req.target);
  if (path == "/__swarmlet/served") {
    json_body(res, {{"served", served()}});
    return;
  }
  if (path == "/__swarmlet/recorded") {
    json_body(res, {{"recorded", recorded()}});
    return;
  }
  if (stall_every_.count() > 0) {
    const auto phase = std::chrono::duration_cast<std::chrono::microseconds>(
                           std::chrono::steady_clock::now() - epoch_) %
                       stall_every_;
    if (phase < stall_for_) green::sleep(stall_for_ - phase);
  }
  served_.fetch_add(1, std::memory_order_relaxed);
  res.status = 200;
  if (path == "/") {
    res.body = "ok\n";
  } else if (path == "/items") {
    nlohmann::json items = nlohmann::json::array();
    for (int i = 1; i <= 5; ++i)
      items.push_back({{"id", i}, {"name", "item " + std::to_string(i)}});
    json_body(res, {{"items", items}});
  } else if (path == "/cart") {
    auto auth = req.headers.get("authorization");
    if (!auth || auth->substr(0, 7) != "Bearer ") {
      res.status = 401;
      json_body(res, {{"error", "missing bearer token"}});
    } else {
      json_body(res, {{"cart", nlohmann::json::array()}, {"token", std::string(auth->substr(7))}});
    }
  } else if (path == "/login") {
    const auto body = nlohmann::json::parse(req.body, nullptr, false);
    if (req.method != "POST" || body.is_discarded() || !body.is_object() ||
        !body.contains("user") || !body["user"].is_string()) {
      res.status = 400;
      json_body(res, {{"error", "POST a JSON object with a string 'user'"}});
    } else {
      json_body(res, {{"token", "token-" + body["user"].get<std::string>()}});
    }
  } else if (path.substr(0, 8) == "/record/" || path.substr(0, 13) == "/record-body/") {
    // /record-body/ tells requests apart by what they carried, too.
    const std::string key = path[7] == '/'
                                ? req.target
                                : req.method + " " + req.target + "\n" +
                                      std::string(req.headers.get("content-type").value_or("")) +
                                      "\n" + req.body;
    std::lock_guard lock(record_mutex_);
    if (recorded_.size() >= max_recorded && !recorded_.count(key)) {
      res.status = 507;
      res.body = "record full\n";
    } else {
      ++recorded_[key];
      res.body = "ok\n";
    }
  } else if (auto ms = number_after(path, "/delay/")) {
    green::sleep(std::chrono::milliseconds(std::clamp<long>(*ms, 0, 60'000)));
    res.body = "ok\n";
  } else if (auto code = number_after(path, "/status/"); code && *code >= 100 && *code <= 599) {
    res.status = static_cast<int>(*code);
    res.body = std::to_string(*code) + "\n";
  } else if (auto hops = number_after(path, "/redirect/"); hops && *hops >= 0) {
    res.status = 302;
    res.headers.add("Location",
                    *hops <= 1 ? std::string("/") : "/redirect/" + std::to_string(*hops - 1));
  } else if (path == "/redirect-to") {
    // The URL comes as the whole query, as sent (no '&' splits it, nothing is decoded).
    const auto q = req.target.find('?');
    if (q == std::string::npos) {
      res.status = 400;
      res.body = "GET /redirect-to?URL\n";
    } else {
      res.status = 302;
      res.headers.add("Location", req.target.substr(q + 1));
    }
  } else if (auto n = number_after(path, "/bytes/"); n && *n >= 0) {
    res.body.assign(static_cast<std::size_t>(std::min<long>(*n, 64L << 20)), 'x');
  } else {
    res.status = 404;
    res.body = "not found\n";
  }
}

}  // namespace swarmlet::http
