#include "request_executor.hpp"

#include <algorithm>
#include <chrono>

#include "common/config/untrusted_json.hpp"
#include "common/http/query.hpp"
#include "common/http/request_body.hpp"
#include "response_checks.hpp"

namespace swarmlet::worker {

stats::request_stats& request_executor::entry_of(const config::request_spec& spec) {
  auto it = entries_.find(&spec);
  if (it != entries_.end()) return *it->second;
  auto& e = stats_.entry(spec.method, spec.name);
  entries_.emplace(&spec, &e);
  return e;
}

void request_executor::build(const config::request_spec& spec) {
  const config::render_context ctx{[this](std::string_view name) -> const std::string* {
                                     auto it = vars_.values.find(std::string(name));
                                     return it == vars_.values.end() ? nullptr : &it->second;
                                   },
                                   &vars_.rng};
  request_.method = spec.method;
  request_.target.clear();
  spec.path.render_to(ctx, request_.target);
  if (!spec.query.empty()) {
    request_.target += request_.target.find('?') == std::string::npos ? '?' : '&';
    bool first = true;
    for (const auto& [k, v] : spec.query) {
      if (!first) request_.target += '&';
      first = false;
      http::append_query_escaped(request_.target, k);
      request_.target += '=';
      http::append_query_escaped(request_.target, v.render(ctx));
    }
  }
  request_.headers.clear();
  for (const auto& [k, v] : spec.headers) request_.headers.add(k, v.render(ctx));
  request_.body.clear();
  if (spec.body) {
    spec.body->render_to(ctx, request_.body);
  } else if (spec.json) {
    if (spec.json_templates.empty()) {
      request_.body = spec.json->dump();
    } else {
      nlohmann::ordered_json j = *spec.json;
      for (const auto& [ptr, t] : spec.json_templates) j[ptr] = t.render(ctx);
      // A data cell or a capture may bring bytes that are not UTF-8 (a Latin-1 CSV, a header
      // of the target's): dump() would throw type_error 316 out of the user's green thread,
      // killing the user unseen. JSON text is UTF-8: such bytes go as U+FFFD, as k6's open()
      // reads them and as the reports show names that are not UTF-8.
      request_.body = j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    }
    if (!request_.headers.has("content-type"))
      request_.headers.add("Content-Type", "application/json");
  } else if (!spec.form.empty()) {
    for (const auto& [k, v] : spec.form) http::append_form_field(request_.body, k, v.render(ctx));
    if (!request_.headers.has("content-type"))
      request_.headers.add("Content-Type", "application/x-www-form-urlencoded");
  } else if (!spec.multipart.empty()) {
    build_multipart(spec, ctx);
  }
}

void request_executor::build_multipart(const config::request_spec& spec,
                                       const config::render_context& ctx) {
  // A boundary of 128 random bits: it occurs in no part but by a chance never met.
  static constexpr char hex[] = "0123456789abcdef";
  boundary_.assign("swarmlet-");
  for (int i = 0; i < 2; ++i) {
    std::uint64_t bits = vars_.rng();
    for (int d = 0; d < 16; ++d, bits >>= 4) boundary_ += hex[bits & 15];
  }
  for (const auto& part : spec.multipart) {
    if (part.file.empty()) {
      http::append_multipart_part(request_.body, boundary_,
                                  {part.name, part.value.render(ctx), {}, part.content_type});
    } else {
      http::append_multipart_part(request_.body, boundary_,
                                  {part.name, part.contents, part.filename, part.content_type});
    }
  }
  http::end_multipart(request_.body, boundary_);
  if (!request_.headers.has("content-type"))
    request_.headers.add("Content-Type", http::multipart_content_type(boundary_));
}

std::string request_executor::judge(const config::request_spec& spec, const http::result& r) {
  nlohmann::ordered_json parsed;
  const nlohmann::ordered_json* body_json = nullptr;
  const bool wants_json =
      !spec.check.json.empty() ||
      std::any_of(spec.captures.begin(), spec.captures.end(),
                  [](const auto& c) { return c.from == config::capture_spec::source::json; });
  if (wants_json) {
    parsed = config::parse_untrusted_ordered_json(r.response.body);
    if (!parsed.is_discarded()) body_json = &parsed;
  }
  std::string failure = first_failed_check(spec.check, r, body_json, match_buffer_);
  if (!spec.captures.empty()) {
    std::string missed = apply_captures(spec.captures, r, body_json, match_buffer_, vars_.values);
    if (failure.empty()) failure = std::move(missed);
  }
  return failure;
}

bool request_executor::run(const config::request_spec& spec,
                           std::optional<std::chrono::steady_clock::time_point> intended) {
  build(spec);
  if (spec.ws) {
    if (ws_ != nullptr) return ws_->run(spec, request_, intended);
    entry_of(spec).record(0, 0, true);
    stats_.record_error(spec.method, spec.name, "not_open: this user runs no WebSocket steps");
    return false;
  }
  client_.keep_body(spec.keeps_body());
  const http::result r = client_.send(request_);
  if (r.version == http::version::http2) {
    ++stats_.versions().http2;
  } else if (r.version == http::version::http1_1) {
    ++stats_.versions().http1_1;
  }
  const auto us = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(r.elapsed).count());
  const auto corrected_us = intended ? static_cast<std::uint64_t>(std::max<std::int64_t>(
                                           static_cast<std::int64_t>(us),
                                           std::chrono::duration_cast<std::chrono::microseconds>(
                                               std::chrono::steady_clock::now() - *intended)
                                               .count()))
                                     : us;
  const std::string failure = r.ok() ? judge(spec, r) : http::failure_text(r);
  if (intended) {
    entry_of(spec).record_scheduled(corrected_us, us, r.response.body_bytes, !failure.empty());
  } else {
    entry_of(spec).record(us, r.response.body_bytes, !failure.empty());
  }
  if (!failure.empty()) stats_.record_error(spec.method, spec.name, failure);
  return failure.empty();
}

}  // namespace swarmlet::worker
