// The scenario's checks, captures, on_failure, template helpers, tags and regular expressions,
// as the loader reads them and as it refuses them.
#include "common/config/checks.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "common/config/regex.hpp"
#include "common/config/scenario_loader.hpp"
#include "common/config/tag_filter.hpp"
#include "common/config/template_string.hpp"

namespace c = swarmlet::config;
using namespace std::chrono_literals;

namespace {

/// A scenario of one user whose one task is `request` (a flow mapping), e.g. "{get: /, check:
/// {status: 2xx}}", loaded as t.yaml: the request is on line 3, column 11.
c::scenario with_task(const std::string& request) {
  return c::load_scenario_text("target: http://h/\nusers:\n  - tasks: [" + request + "]\n",
                               "t.yaml");
}
const c::request_spec& only_request(const c::scenario& s) {
  return s.users[0].tasks[0].steps[0];
}

std::string error_of(const std::string& yaml, const c::environment_lookup& env = {}) {
  try {
    if (env)
      c::load_scenario_text(yaml, "t.yaml", ".", env);
    else
      c::load_scenario_text(yaml, "t.yaml");
  } catch (const c::config_error& e) {
    return e.what();
  }
  return "(no error)";
}
std::string task_error(const std::string& request) {
  return error_of("target: http://h/\nusers:\n  - tasks: [" + request + "]\n");
}

TEST(CheckStatus, TakesAStatusAListOrAClass) {
  const auto one = only_request(with_task("{get: /, check: {status: 201}}")).check.status;
  ASSERT_TRUE(one);
  EXPECT_TRUE(one->accepts(201));
  EXPECT_FALSE(one->accepts(200));
  EXPECT_EQ(one->expected, "201");
  const auto list =
      only_request(with_task("{get: /, check: {status: [200, 201, 4xx]}}")).check.status;
  EXPECT_TRUE(list->accepts(200) && list->accepts(201) && list->accepts(404) && list->accepts(499));
  EXPECT_FALSE(list->accepts(202) || list->accepts(500));
  EXPECT_EQ(list->expected, "200 or 201 or 4xx");
  const auto cls = only_request(with_task("{get: /, check: {status: \"2XX\"}}")).check.status;
  EXPECT_TRUE(cls->accepts(200) && cls->accepts(299));
  EXPECT_FALSE(cls->accepts(300));
  EXPECT_EQ(cls->expected, "2xx");
  EXPECT_FALSE(only_request(with_task("{get: /}")).check.status) << "default: below 400 passes";
}

TEST(CheckStatus, ABadValueSaysWhatIsAcceptedAndWhatItGot) {
  const std::string accepted =
      "check.status must be a status (200), a list ([200, 201]) or a class (2xx), got ";
  const std::pair<std::string, std::string> cases[] = {
      {"{get: /, check: {status: ok}}", "t.yaml:3:38: " + accepted + "'ok'"},
      {"{get: /, check: {status: 600}}", "t.yaml:3:38: " + accepted + "'600'"},
      {"{get: /, check: {status: 6xx}}", "t.yaml:3:38: " + accepted + "'6xx'"},
      {"{get: /, check: {status: [ok, fine]}}", "t.yaml:3:38: " + accepted + "a list of strings"},
      {"{get: /, check: {status: [200, nope]}}", "t.yaml:3:44: " + accepted + "'nope' in the list"},
      {"{get: /, check: {status: []}}", "t.yaml:3:38: " + accepted + "an empty list"},
      {"{get: /, check: {status: [[200]]}}", "t.yaml:3:38: " + accepted + "a list of lists"},
      {"{get: /, check: {status: [{a: 1}]}}", "t.yaml:3:38: " + accepted + "a list of mappings"},
      {"{get: /, check: {status: {a: 1}}}", "t.yaml:3:38: " + accepted + "a mapping"},
  };
  for (const auto& [task, expected] : cases) EXPECT_EQ(task_error(task), expected) << task;
}

TEST(Check, ReadsEveryKey) {
  const auto s = with_task(
      "{get: /, check: {body_contains: ok, not_contains: error, body_regex: 'id=(\\d+)', "
      "header: {Content-Type: application/json, X-Id: {regex: '^[0-9]+$'}}, max_duration: "
      "500ms}}");
  const auto& k = only_request(s).check;
  EXPECT_EQ(k.body_contains, "ok");
  EXPECT_EQ(k.not_contains, "error");
  ASSERT_TRUE(k.body_regex);
  EXPECT_EQ(k.body_regex->source(), "id=(\\d+)");
  ASSERT_EQ(k.headers.size(), 2u);
  EXPECT_EQ(k.headers[0].name, "Content-Type");
  EXPECT_EQ(k.headers[0].equals, "application/json");
  EXPECT_FALSE(k.headers[1].equals);
  EXPECT_EQ(k.headers[1].matches.source(), "^[0-9]+$");
  EXPECT_EQ(k.max_duration, std::chrono::microseconds(500ms));
  EXPECT_TRUE(k.keeps_body());
  EXPECT_FALSE(
      only_request(with_task("{get: /, check: {status: 200, header: {A: b}}}")).check.keeps_body())
      << "status and headers need no body: the client may discard it";
}

TEST(Check, AMappingWhoseKeyIsAWordNearAnOperatorIsStillAValue) {
  for (const char* key : {"age", "get", "at", "net", "exit", "content"}) {
    const auto s = with_task(std::string("{get: /, check: {json: {$.o: {") + key + ": 1}}}}");
    const auto& j = only_request(s).check.json;
    ASSERT_EQ(j.size(), 1u) << key;
    EXPECT_EQ(j[0].operand, nlohmann::json({{key, 1}})) << key;
  }
}

TEST(Check, JsonTakesBareValuesAndComparisons) {
  const auto s = with_task(
      "{get: /, check: {json: {$.id: 7, $.user: {name: ann}, $.count: {gt: 0, lte: 10}, "
      "$.debug: {exists: false}, $.tags: {contains: new}, $.obj: {eq: {a: 1}}, $.s: {ne: x}, "
      "$.n: {ge: 1, lt: 2.5}}}}");
  const auto& j = only_request(s).check.json;
  using op = c::json_check::op;
  ASSERT_EQ(j.size(), 10u);
  EXPECT_EQ(j[0].how, op::eq);
  EXPECT_EQ(j[0].operand, 7);
  EXPECT_EQ(j[1].how, op::eq) << "a mapping without operators is a value to equal";
  EXPECT_EQ(j[1].operand, nlohmann::json({{"name", "ann"}}));
  EXPECT_EQ(j[2].how, op::gt);
  EXPECT_EQ(j[3].how, op::le) << "lte is le";
  EXPECT_EQ(j[4].how, op::exists);
  EXPECT_EQ(j[4].operand, false);
  EXPECT_EQ(j[5].how, op::contains);
  EXPECT_EQ(j[6].operand, nlohmann::json({{"a", 1}}));
  EXPECT_EQ(j[7].how, op::ne);
  EXPECT_EQ(j[8].how, op::ge);
  EXPECT_EQ(j[9].operand, 2.5);
}

TEST(Check, BadKeysAndValuesNameWhereAndWhat) {
  const std::pair<std::string, std::string> cases[] = {
      {"{get: /, check: {staus: 200}}", "t.yaml:3:30: unknown key 'staus' in check"},
      {"{get: /, check: {json: {$.n: {gt: 0, bigger: 1}}}}",
       "t.yaml:3:50: check.json $.n: 'bigger' is not a comparison (eq, ne, gt, ge, lt, le, "
       "exists, contains); to compare with a mapping, write {eq: {...}}"},
      {"{get: /, check: {json: {$.n: {gtt: 100}}}}",
       "t.yaml:3:43: check.json $.n: 'gtt' is not a comparison: did you mean 'gt'? (to compare "
       "with a mapping, write {eq: {...}})"},
      {"{get: /, check: {json: {$.n: {$gt: 1}}}}",
       "t.yaml:3:43: check.json $.n: '$gt' is not a comparison: did you mean 'gt'? (to compare "
       "with a mapping, write {eq: {...}})"},
      {"{get: /, check: {json: {$.n: {exist: true}}}}",
       "t.yaml:3:43: check.json $.n: 'exist' is not a comparison: did you mean 'exists'? (to "
       "compare with a mapping, write {eq: {...}})"},
      {"{get: /, check: {json: {$.n: {gt: [1]}}}}",
       "t.yaml:3:47: check.json $.n.gt compares with a number or a string"},
      {"{get: /, check: {json: {$.n: {exists: maybe}}}}",
       "t.yaml:3:51: check.json $.n.exists must be true or false"},
      {"{get: /, check: {json: {$.n: {contains: {a: 1}}}}}",
       "t.yaml:3:53: check.json $.n.contains takes a string, a number or true/false"},
      {"{get: /, check: {json: {n: 1}}}", "t.yaml:3:37: JSON path 'n': must start with $"},
      {"{get: /, check: {max_duration: 500}}",
       "t.yaml:3:44: check.max_duration: '500' is a time without a unit: write 500ms (or 500s)"},
      {"{get: /, check: {max_duration: soon}}",
       "t.yaml:3:44: check.max_duration: 'soon' is not a duration"},
      {"{get: /, check: {max_duration: 0ms}}",
       "t.yaml:3:44: check.max_duration must be more than 0"},
      {"{get: /, check: {header: {X-A: {regex: '('}}}}",
       "t.yaml:3:52: check.header X-A: bad regular expression '(' at character 2: missing closing "
       "parenthesis"},
      {"{get: /, check: {header: {X-A: {like: a}}}}",
       "t.yaml:3:45: unknown key 'like' in check.header X-A"},
      {"{get: /, check: {header: {X-A: [a]}}}",
       "t.yaml:3:44: check.header X-A (a value or {regex: ...}) must be a string"},
      {"{get: /, check: {body_regex: 'a)'}}",
       "t.yaml:3:42: check.body_regex: bad regular expression 'a)' at character 2: unmatched "
       "closing parenthesis"},
  };
  for (const auto& [task, expected] : cases) {
    const auto e = task_error(task);
    EXPECT_EQ(e.rfind(expected, 0), 0u) << task << "\n  gave: " << e;
  }
}

TEST(Capture, TakesJsonHeaderOrRegexAndMayBeOptional) {
  const auto s = with_task(
      "{get: /, capture: {a: {json: $.token}, b: {header: X-Token, optional: true}, c: {regex: "
      "'id=(\\d+)'}}}");
  const auto& caps = only_request(s).captures;
  ASSERT_EQ(caps.size(), 3u);
  EXPECT_EQ(caps[0].from, c::capture_spec::source::json);
  EXPECT_FALSE(caps[0].optional);
  EXPECT_EQ(caps[1].header, "X-Token");
  EXPECT_TRUE(caps[1].optional);
  EXPECT_EQ(caps[2].pattern.source(), "id=(\\d+)");
  EXPECT_EQ(task_error("{get: /, capture: {a: {json: $.t, header: X}}}"),
            "t.yaml:3:35: capture 'a' takes exactly one of json, header, regex");
  // Hunt: a name no header can have made a check that failed every request, unsaid at load.
  EXPECT_NE(task_error("{get: /, capture: {a: {header: X Token}}}").find("t.yaml:3:"),
            std::string::npos);
  EXPECT_NE(task_error("{get: /, check: {header: {Content Type: x}}}").find("check.header: "),
            std::string::npos)
      << task_error("{get: /, check: {header: {Content Type: x}}}");
  EXPECT_EQ(task_error("{get: /, capture: {a: {optional: true}}}"),
            "t.yaml:3:35: capture 'a' takes exactly one of json, header, regex");
  EXPECT_EQ(task_error("{get: /, capture: {a: {regex: '[a', optional: true}}}"),
            "t.yaml:3:43: capture 'a': bad regular expression '[a' at character 3: missing "
            "terminating ] for character class");
  EXPECT_EQ(task_error("{get: /, capture: {a: {json: $.t, optional: sure}}}"),
            "t.yaml:3:57: capture 'a'.optional must be true or false");
}

TEST(OnFailure, StepThenTaskThenUserDecideAndOnStartStopsTheUser) {
  const auto s = c::load_scenario_text(R"(target: http://h/
users:
  - on_failure: continue
    on_start: [{get: /login}, {get: /prefs, on_failure: continue}]
    on_stop: [{get: /logout}]
    tasks:
      - {get: /a}
      - {get: /b, on_failure: stop_user}
      - on_failure: end_task
        steps: [{get: /c}, {get: /d, on_failure: stop_user}]
  - tasks: [{get: /e}]
)",
                                       "t.yaml");
  using a = c::failure_action;
  const auto& u = s.users[0];
  EXPECT_EQ(u.on_start[0].on_failure, a::stop_user) << "Locust's StopUser in on_start";
  EXPECT_EQ(u.on_start[1].on_failure, a::continue_task);
  EXPECT_EQ(u.on_stop[0].on_failure, a::end_task);
  EXPECT_EQ(u.tasks[0].steps[0].on_failure, a::continue_task) << "the user's default";
  EXPECT_EQ(u.tasks[1].steps[0].on_failure, a::stop_user);
  EXPECT_EQ(u.tasks[2].steps[0].on_failure, a::end_task) << "the task's default";
  EXPECT_EQ(u.tasks[2].steps[1].on_failure, a::stop_user);
  EXPECT_EQ(s.users[1].tasks[0].steps[0].on_failure, a::end_task) << "the default";
  EXPECT_EQ(task_error("{get: /, on_failure: retry}"),
            "t.yaml:3:34: on_failure must be continue, end_task or stop_user, got 'retry'");
}

TEST(TemplateHelpers, EnvironmentIsResolvedAtLoadWithDefaults) {
  const std::map<std::string, std::string> env{{"API_KEY", "k-1"}, {"REGION", "eu"}};
  const c::environment_lookup lookup = [&](const std::string& n) -> std::optional<std::string> {
    auto it = env.find(n);
    return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  const auto s = c::load_scenario_text(
      "target: http://h/\nusers:\n  - tasks:\n      - get: /${env.REGION}/x\n        headers: "
      "{X-Key: \"${env.API_KEY}\", X-Tier: \"${env.TIER:-free}\"}\n        json: {k: "
      "\"${env.API_KEY}\"}\n",
      "t.yaml", ".", lookup);
  const auto& r = only_request(s);
  EXPECT_EQ(r.path.render({}), "/eu/x");
  EXPECT_TRUE(r.path.constant()) << "an environment value is fixed text once loaded";
  EXPECT_EQ(r.headers[0].second.render({}), "k-1");
  EXPECT_EQ(r.headers[1].second.render({}), "free");
  EXPECT_EQ(r.json_templates[0].second.render({}), "k-1");
  EXPECT_EQ(s.environment, env) << "what the workers will be sent (TIER was not set)";
  EXPECT_EQ(error_of("target: http://h/\nusers:\n  - tasks: [{get: \"/${env.NOPE}\"}]\n", lookup),
            "t.yaml:3:19: get path '/${env.NOPE}' environment variable NOPE is not set (give it "
            "a default: ${env.NOPE:-value})");
  EXPECT_EQ(error_of("target: http://h/\nusers:\n  - tasks: [{get: \"/${env.9x}\"}]\n", lookup),
            "t.yaml:3:19: get path '/${env.9x}' at character 2: '9x' is not an environment "
            "variable name (${env.NAME})");
}

TEST(TemplateHelpers, APostedScenarioReadsNoEnvironmentVariable) {
  // HOME is set here; a scenario from someone else must not be able to send it anywhere.
  ASSERT_NE(std::getenv("HOME"), nullptr);
  try {
    c::load_confined_scenario_text(
        "target: http://h/\nusers:\n  - tasks: [{get: \"/${env.HOME}\"}]\n", "posted", ".");
    FAIL() << "HOME was read";
  } catch (const c::config_error& e) {
    // Not "is not set": HOME is set, and the poster must not be sent to look for it.
    EXPECT_NE(std::string(e.what()).find("environment variable HOME: a posted scenario reads no "
                                         "environment variable (give it a default: "
                                         "${env.HOME:-value})"),
              std::string::npos)
        << e.what();
  }
  const auto s = c::load_confined_scenario_text(
      "target: http://h/\nusers:\n  - tasks: [{get: \"/${env.HOME:-none}\"}]\n", "posted", ".");
  EXPECT_EQ(only_request(s).name, "/none");
  EXPECT_TRUE(s.environment.empty());
}

TEST(TemplateHelpers, UuidIsAFreshVersion4AndNowMsIsUnixMilliseconds) {
  c::template_string t("${uuid()}");
  c::user_random rng(7u);
  const c::render_context ctx{{}, &rng};
  const std::regex v4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  const std::string a = t.render(ctx), b = t.render(ctx);
  EXPECT_TRUE(std::regex_match(a, v4)) << a;
  EXPECT_TRUE(std::regex_match(b, v4)) << b;
  EXPECT_NE(a, b);
  const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const long long now = std::stoll(c::template_string("${now_ms()}").render(ctx));
  const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  EXPECT_GE(now, before);
  EXPECT_LE(now, after);
  EXPECT_THROW(c::template_string("${uuid(4)}"), std::invalid_argument);
  try {
    c::template_string("${now()}");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("known: random, random_string, uuid, now_ms"),
              std::string::npos);
  }
}

TEST(Regex, FindsTheFirstGroupOrTheWholeMatchAndReusesItsBuffer) {
  c::regex_match_buffer buffer;
  const c::regex id("id=(\\d+)");
  auto m = id.search("a id=42 id=7", buffer);
  ASSERT_TRUE(m.matched());
  EXPECT_EQ(m.text, "42");
  EXPECT_FALSE(id.search("no id here", buffer).matched());
  EXPECT_EQ(c::regex("[a-z]+").search("123abc456", buffer).text, "abc");
  EXPECT_EQ(c::regex("x|(y)").search("x", buffer).text, "") << "group 1 took no part";
  EXPECT_EQ(c::regex("(a)(b)(c)").search("abc", buffer).text, "a") << "more groups than kept";
  EXPECT_FALSE(c::regex().search("anything", buffer).matched());
  const c::regex copy = id;  // copies share the compiled code
  EXPECT_EQ(copy.search("id=5", buffer).text, "5");
  try {
    c::regex("a(");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "at character 3: missing closing parenthesis");
  }
}

const char* tagged = R"(target: http://h/
users:
  - name: shopper
    tags: [shop]
    tasks:
      - {get: /browse, tags: [browse]}
      - {get: /buy, tags: [checkout]}
      - {get: /plain}
  - name: admin
    tasks:
      - {get: /admin, tags: [admin, checkout]}
      - {get: /report}
)";

std::vector<std::string> paths(const c::scenario& s) {
  std::vector<std::string> out;
  for (const auto& u : s.users)
    for (const auto& t : u.tasks) out.push_back(u.name + t.steps[0].name);
  return out;
}

TEST(Tags, FollowLocust) {
  auto all = c::load_scenario_text(tagged, "t.yaml");
  EXPECT_EQ(all.users[0].tasks[0].tags, (std::vector<std::string>{"browse", "shop"}))
      << "a task has its user's tags too";
  auto s = all;
  c::apply_tag_filter(s, {"checkout"}, {});
  EXPECT_EQ(paths(s), (std::vector<std::string>{"shopper/buy", "admin/admin"}));
  EXPECT_EQ(s.tags, std::vector<std::string>{"checkout"});
  s = all;
  c::apply_tag_filter(s, {"shop"}, {"checkout"});
  EXPECT_EQ(paths(s), (std::vector<std::string>{"shopper/browse", "shopper/plain"}))
      << "the user's tag selects all its tasks; an excluded tag removes one";
  s = all;
  c::apply_tag_filter(s, {}, {"shop"});
  EXPECT_EQ(paths(s), (std::vector<std::string>{"admin/admin", "admin/report"}))
      << "a user with no task left does not run";
  s = all;
  c::apply_tag_filter(s, {}, {});
  EXPECT_EQ(paths(s).size(), 5u);
}

TEST(Tags, AnUnknownTagOfAScriptedUserSaysWhereItsTagsGo) {
  // A Lua task's `tags = {...}` is a field of the script's own: -T a found no tag 'a'.
  c::scenario s;
  s.file = "s.yaml";
  c::user_spec u;
  u.name = "u";
  u.script = "u.lua";
  s.users.push_back(u);
  try {
    c::apply_tag_filter(s, {"a"}, {});
    FAIL();
  } catch (const c::config_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "--tags: no task or user of s.yaml has the tag 'a' (it has no tags; a scripted "
              "user's tags go on it in the scenario, users: [{script: ..., tags: [...]}], not in "
              "its Lua tasks)");
  }
}

TEST(Tags, AnUnknownTagOrAnEmptyResultIsAnError) {
  auto s = c::load_scenario_text(tagged, "t.yaml");
  try {
    c::apply_tag_filter(s, {"chekout"}, {});
    FAIL();
  } catch (const c::config_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "--tags: no task or user of t.yaml has the tag 'chekout' (its tags: admin, browse, "
              "checkout, shop)");
  }
  try {
    c::apply_tag_filter(s, {}, {"nope"});
    FAIL();
  } catch (const c::config_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind(
                  "--exclude-tags: no task or user of t.yaml has the tag 'nope'", 0),
              0u)
        << e.what();
  }
  try {
    c::apply_tag_filter(s, {"admin"}, {"checkout"});
    FAIL();
  } catch (const c::config_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "--tags admin --exclude-tags checkout leaves no task to run in t.yaml");
  }
  EXPECT_EQ(task_error("{get: /, tags: checkout}"),
            "t.yaml:3:28: tags must be a list of names, e.g. [checkout]");
  EXPECT_EQ(error_of("target: http://h/\nusers:\n  - tasks: [{steps: [{get: /, tags: [a]}]}]\n")
                .rfind("t.yaml:3:31: unknown key 'tags' in a request", 0),
            0u)
      << "a step has no tags of its own: its task has";
}

}  // namespace
