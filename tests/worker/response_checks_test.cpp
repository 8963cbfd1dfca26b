// Checks and captures applied to responses made in the test: every failure message, which must
// stay the same from one response to the next so that failures group by cause.
#include "worker/response_checks.hpp"

#include <gtest/gtest.h>

#include <string>
#include <unordered_map>

#include "common/config/scenario_loader.hpp"
#include "common/config/untrusted_json.hpp"

namespace c = swarmlet::config;
namespace w = swarmlet::worker;
using namespace std::chrono_literals;

namespace {

/// The request of a one-task scenario, e.g. "{get: /, check: {status: 2xx}}".
c::request_spec request(const std::string& yaml) {
  return c::load_scenario_text("target: http://h/\nusers:\n  - tasks: [" + yaml + "]\n", "t.yaml")
      .users[0]
      .tasks[0]
      .steps[0];
}

swarmlet::http::result response(int status, std::string body = "",
                                std::vector<std::pair<std::string, std::string>> headers = {},
                                std::chrono::milliseconds elapsed = 1ms) {
  swarmlet::http::result r;
  r.response.status = status;
  r.response.body = std::move(body);
  for (auto& [k, v] : headers) r.response.headers.add(k, v);
  r.elapsed = elapsed;
  return r;
}

struct checker {
  c::regex_match_buffer buffer;
  /// The first failed check of `spec` on `r` ("" when all pass), with the body parsed when
  /// it is JSON.
  std::string operator()(const c::request_spec& spec, const swarmlet::http::result& r) {
    auto parsed = c::parse_untrusted_ordered_json(r.response.body);
    return w::first_failed_check(spec.check, r, parsed.is_discarded() ? nullptr : &parsed, buffer);
  }
};

TEST(ResponseChecks, StatusOneListOrClass) {
  checker check;
  const auto none = request("{get: /}");
  EXPECT_EQ(check(none, response(302)), "");
  EXPECT_EQ(check(none, response(404)), "HTTP 404 Not Found");
  const auto one = request("{get: /, check: {status: 201}}");
  EXPECT_EQ(check(one, response(201)), "");
  EXPECT_EQ(check(one, response(200)), "expected status 201, got 200");
  const auto list = request("{get: /, check: {status: [200, 204]}}");
  EXPECT_EQ(check(list, response(204)), "");
  EXPECT_EQ(check(list, response(500)), "expected status 200 or 204, got 500");
  const auto cls = request("{get: /, check: {status: 4xx}}");
  EXPECT_EQ(check(cls, response(404)), "") << "an expected 4xx is a success";
  EXPECT_EQ(check(cls, response(200)), "expected status 4xx, got 200");
}

TEST(ResponseChecks, HeadersByAnyCaseExactOrByRegex) {
  checker check;
  const auto exact = request("{get: /, check: {header: {content-type: application/json}}}");
  EXPECT_EQ(check(exact, response(200, "", {{"Content-Type", "application/json"}})), "");
  EXPECT_EQ(check(exact, response(200, "", {{"Content-Type", "text/html"}})),
            "header content-type is 'text/html', expected 'application/json'");
  EXPECT_EQ(check(exact, response(200)), "header content-type is missing");
  const auto re = request("{get: /, check: {header: {X-Id: {regex: '^[0-9]+$'}}}}");
  EXPECT_EQ(check(re, response(200, "", {{"x-id", "123"}})), "");
  EXPECT_EQ(check(re, response(200, "", {{"x-id", "12a"}})),
            "header X-Id '12a' does not match /^[0-9]+$/");
}

TEST(ResponseChecks, ARepeatedHeaderIsAllItsValuesJoinedWithCommas) {
  // QA: a check saw only the first X-Multi (a script's r.headers only the last); Python's
  // requests and k6 give "first, second", Set-Cookie too.
  checker check;
  const auto spec = request(
      "{get: /, check: {header: {X-Multi: 'first, second', Set-Cookie: {regex: '^a=1.*, b=2'}}}}");
  EXPECT_EQ(check(spec, response(200, "",
                                 {{"X-Multi", "first"},
                                  {"Set-Cookie", "a=1; Path=/"},
                                  {"Content-Length", "0"},
                                  {"x-multi", "second"},
                                  {"set-cookie", "b=2; Path=/"}})),
            "");
  EXPECT_EQ(check(spec, response(200, "", {{"X-Multi", "first"}})),
            "header X-Multi is 'first', expected 'first, second'");
}

TEST(ResponseChecks, BodyContainsNotContainsAndRegex) {
  checker check;
  const auto spec = request(
      "{get: /, check: {body_contains: welcome, not_contains: error, body_regex: 'id=\\d+'}}");
  EXPECT_EQ(check(spec, response(200, "welcome, id=7")), "");
  EXPECT_EQ(check(spec, response(200, "hello id=7")), "body does not contain 'welcome'");
  EXPECT_EQ(check(spec, response(200, "welcome error id=7")), "body contains 'error'");
  EXPECT_EQ(check(spec, response(200, "welcome id=x")), "body does not match /id=\\d+/");
}

TEST(ResponseChecks, MaxDurationSaysTheLimitNotTheTime) {
  checker check;
  const auto spec = request("{get: /, check: {max_duration: 500ms}}");
  EXPECT_EQ(check(spec, response(200, "", {}, 499ms)), "");
  EXPECT_EQ(check(spec, response(200, "", {}, 501ms)), "slower than 500ms");
  EXPECT_EQ(check(spec, response(200, "", {}, 9000ms)), "slower than 500ms");
}

TEST(ResponseChecks, JsonComparisons) {
  checker check;
  const auto spec = request(
      "{get: /, check: {json: {$.id: 7, $.count: {gt: 0, le: 10}, $.debug: {exists: false}, "
      "$.name: {ne: root, contains: nn}, $.tags: {contains: new}, $.token: {exists: true}}}}");
  const std::string good =
      R"({"id": 7, "count": 3, "name": "ann", "tags": ["new", "x"], "token": "t"})";
  EXPECT_EQ(check(spec, response(200, good)), "");
  auto with = [&](const std::string& key, const std::string& value) {
    auto doc = nlohmann::json::parse(good);
    if (value.empty())
      doc.erase(key);
    else
      doc[key] = nlohmann::json::parse(value);
    return check(spec, response(200, doc.dump()));
  };
  EXPECT_EQ(with("id", "8"), "$.id is 8, expected 7");
  EXPECT_EQ(with("id", "7.0"), "") << "numbers compare by value";
  EXPECT_EQ(with("count", "0"), "$.count is 0, expected > 0");
  EXPECT_EQ(with("count", "11"), "$.count is 11, expected <= 10");
  EXPECT_EQ(with("count", "\"3\""), "$.count is \"3\", expected > 0") << "a string is not > 0";
  EXPECT_EQ(with("count", ""), "$.count is missing");
  EXPECT_EQ(with("debug", "true"), "$.debug is present, expected it missing");
  EXPECT_EQ(with("name", "\"root\""), "$.name is \"root\", expected != \"root\"");
  EXPECT_EQ(with("name", "\"bob\""), "$.name is \"bob\", expected it to contain \"nn\"");
  EXPECT_EQ(with("tags", "[\"old\"]"), "$.tags is [\"old\"], expected it to contain \"new\"");
  EXPECT_EQ(with("token", ""), "$.token is missing");
  EXPECT_EQ(check(spec, response(200, "<html>")), "body is not JSON (checking $.id)");
  EXPECT_EQ(with("id", "\"" + std::string(100, 'x') + "\""),
            "$.id is \"" + std::string(59, 'x') + "..., expected 7")
      << "a long value is cut short";
}

TEST(ResponseChecks, WholeNumbersCompareExactlyWhateverTheirSign) {
  // Review: past 2^63 a number is unsigned, and nlohmann compared it with a negative one as
  // signed: 2^64 - 1 equalled -1, and -5 was not below 10^19.
  checker check;
  const auto spec = request(
      "{get: /, check: {json: {$.a: 18446744073709551615, $.b: {lt: 10000000000000000000}, "
      "$.c: {gt: -1}, $.d: 12345678901234567890}}}");
  EXPECT_EQ(check(spec, response(200, R"({"a": 18446744073709551615, "b": -5, "c": 0,
                                          "d": 12345678901234567890})")),
            "");
  EXPECT_EQ(check(spec, response(200, R"({"a": -1, "b": -5, "c": 0, "d": 12345678901234567890})")),
            "$.a is -1, expected 18446744073709551615");
  EXPECT_EQ(check(spec, response(200, R"({"a": 18446744073709551615, "b": 10000000000000000001,
                                          "c": 0, "d": 12345678901234567890})")),
            "$.b is 10000000000000000001, expected < 10000000000000000000");
  EXPECT_EQ(check(spec, response(200, R"({"a": 18446744073709551615, "b": -5, "c": -1,
                                          "d": 12345678901234567891})")),
            "$.c is -1, expected > -1");
  EXPECT_EQ(check(spec, response(200, R"({"a": 18446744073709551615, "b": -5, "c": 0,
                                          "d": 12345678901234567891})")),
            "$.d is 12345678901234567891, expected 12345678901234567890")
      << "not equal as the nearest doubles are";
}

TEST(ResponseCaptures, SetVariablesOrSayWhatFoundNothing) {
  c::regex_match_buffer buffer;
  const auto spec = request(
      "{get: /, capture: {token: {json: $.token}, id: {regex: 'id=(\\d+)'}, session: {header: "
      "X-Session}, hint: {json: $.hint, optional: true}}}");
  std::unordered_map<std::string, std::string> vars{{"hint", "stale"}};
  auto run = [&](const std::string& body, std::vector<std::pair<std::string, std::string>> h) {
    const auto r = response(200, body, std::move(h));
    auto parsed = c::parse_untrusted_ordered_json(body);
    return w::apply_captures(spec.captures, r, parsed.is_discarded() ? nullptr : &parsed, buffer,
                             vars);
  };
  EXPECT_EQ(run(R"({"token": "t1", "note": "id=42"})", {{"x-session", "s1"}}), "");
  EXPECT_EQ(vars["token"], "t1");
  EXPECT_EQ(vars["id"], "42");
  EXPECT_EQ(vars["session"], "s1");
  EXPECT_EQ(vars["hint"], "") << "optional and not found: set to empty, no value kept";
  EXPECT_EQ(run(R"({"note": "id=43"})", {{"x-session", "s2"}}),
            "capture token: nothing matched $.token");
  EXPECT_EQ(vars["token"], "t1") << "a capture that failed leaves its variable alone";
  EXPECT_EQ(vars["id"], "43") << "the other captures are still made";
  EXPECT_EQ(run(R"({"token": "t"})", {{"x-session", "s"}}),
            "capture id: nothing matched /id=(\\d+)/");
  EXPECT_EQ(run(R"({"token": "t", "n": "id=1"})", {}),
            "capture session: nothing matched header X-Session");
  EXPECT_EQ(run("not json", {}), "capture token: nothing matched $.token");
}

TEST(ResponseChecks, ObjectsEqualWhateverTheOrderOfTheirKeys) {
  // The body keeps the server's order (for captures), the check has YAML's: still equal.
  checker check;
  const auto spec = request(
      "{get: /, check: {json: {$.user: {a: 2, b: {d: 1, c: [1, {f: 1, e: 2}]}}, $.list: "
      "[{x: 1, y: 2}], $.same: {ne: {x: 1}}}}}");
  EXPECT_EQ(check(spec, response(200, R"({"user": {"b": {"c": [1.0, {"e": 2, "f": 1}], "d": 1},
                                          "a": 2}, "list": [{"y": 2, "x": 1}], "same": {"x": 2}})")),
            "");
  EXPECT_EQ(
      check(spec, response(200, R"({"user": {"b": {"c": [1], "d": 1}, "a": 2}})")),
      R"($.user is {"b":{"c":[1],"d":1},"a":2}, expected {"a":2,"b":{"c":[1,{"e":2,"f":1}],"d":1}})")
      << "what the body holds shows in its order";
  EXPECT_EQ(
      check(spec, response(200, R"({"user": {"a": 2, "b": {"c": [1, {"e": 2, "f": 1}],
                                          "d": 1}, "z": 0}})")),
      R"($.user is {"a":2,"b":{"c":[1,{"e":2,"f":1}],"d":1},"z":0}, expected {"a":2,"b":{"c":[1,{"e":2,"f":1}],"d":1}})")
      << "a key more is another object";
}

TEST(ResponseCaptures, AnObjectOrArrayIsItsJsonTextInTheOrderSent) {
  c::regex_match_buffer buffer;
  const auto spec = request(
      "{get: /, capture: {user: {json: $.user}, list: {json: $.list}, n: {json: $.n}, s: {json: "
      "$.s}}}");
  std::unordered_map<std::string, std::string> vars;
  const std::string body =
      R"({"user": {"b": 1, "a": {"z": null, "y": 2.50}}, "list": [{"y": 1, "x": 2}], "n": 1e2,
          "s": "é"})";
  const auto parsed = c::parse_untrusted_ordered_json(body);
  EXPECT_EQ(w::apply_captures(spec.captures, response(200, body), &parsed, buffer, vars), "");
  EXPECT_EQ(vars["user"], R"({"b":1,"a":{"z":null,"y":2.5}})");
  EXPECT_EQ(vars["list"], R"([{"y":1,"x":2}])");
  EXPECT_EQ(vars["n"], "100.0") << "a number as JSON text, as before";
  EXPECT_EQ(vars["s"], "\xc3\xa9") << "a string as it is";
}

TEST(ResponseCaptures, ARepeatedHeaderIsCapturedWithAllItsValues) {
  c::regex_match_buffer buffer;
  const auto spec = request("{get: /, capture: {multi: {header: X-Multi}}}");
  std::unordered_map<std::string, std::string> vars;
  const auto r = response(200, "", {{"X-Multi", "first"}, {"X-Other", "x"}, {"X-MULTI", "second"}});
  EXPECT_EQ(w::apply_captures(spec.captures, r, nullptr, buffer, vars), "");
  EXPECT_EQ(vars["multi"], "first, second") << "as a check and a script's r.headers see it";
}

}  // namespace
