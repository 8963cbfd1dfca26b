// What a user does after a failed request (on_failure, on_start's StopUser), and checks and
// captures through the real client, against a small server in the test that records every
// request and can stop the user after the Nth: no sleeps, every run ends on an event.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/config/scenario_loader.hpp"
#include "common/green/hub.hpp"
#include "common/green/operations.hpp"
#include "common/green/timeout.hpp"
#include "common/http/server.hpp"
#include "worker/request_executor.hpp"
#include "worker/user_runner.hpp"

namespace c = swarmlet::config;
namespace g = swarmlet::green;
namespace h = swarmlet::http;
namespace w = swarmlet::worker;
using namespace std::chrono_literals;

namespace {

class UserFlow : public ::testing::Test {
 protected:
  ~UserFlow() override { server_.kill(); }

  /// Runs the first user class of `users_yaml` until it ends on its own or, with `stop_after`,
  /// until the server has answered that many requests (the server then stops the user).
  void run_user(const std::string& users_yaml, std::size_t stop_after = 0) {
    scenario_ =
        c::load_scenario_text("target: http://127.0.0.1:" + std::to_string(listener_.local_port()) +
                                  "\nusers: " + users_yaml + "\n",
                              "t.yaml");
    user_ = std::make_unique<w::user_runner>(scenario_, scenario_.users[0], stats_, nullptr,
                                             w::user_options{1, 1, nullptr, nullptr});
    stop_after_ = stop_after;
    ASSERT_TRUE(g::with_timeout(20s, [&] { user_->run(); })) << "the user never ended";
  }
  std::uint64_t errors(const std::string& message) const {
    for (const auto& [key, n] : stats_.errors())
      if (key.message == message) return n;
    return 0;
  }

  g::hub hub_;
  std::vector<std::string> seen_;    // request targets, in order
  std::vector<std::string> bodies_;  // request bodies, in order
  std::size_t injected_ = 0;         // requests that carried an X-Injected header
  c::scenario scenario_;
  swarmlet::stats::stats_table stats_;
  std::unique_ptr<w::user_runner> user_;
  std::size_t stop_after_ = 0;
  g::socket listener_ = g::socket::listen("127.0.0.1", 0);
  g::green_thread<void> server_ = g::spawn([this] {
    h::serve_http(listener_, [this](const h::request& q, h::response& r) {
      seen_.push_back(q.target);
      bodies_.push_back(q.body);
      if (q.headers.has("x-injected")) ++injected_;
      r.status = 200;
      if (q.target.rfind("/status/", 0) == 0) r.status = std::stoi(q.target.substr(8));
      if (q.target == "/token") {
        r.headers.add("Content-Type", "application/json");
        r.headers.add("X-Request-Id", "r-17");
        r.body = R"({"token": "t-1", "count": 3})";
      }
      if (q.target == "/evil") {  // values that would split a request they were put in
        r.body = R"({"token": "t\r\nX-Injected: 1",
                     "tail": " HTTP/1.1\r\nX-Injected: 1\r\n\r\nGET /smuggled"})";
      }
      if (q.target == "/user") {  // keys in no sorted order, at two levels
        r.headers.add("Content-Type", "application/json");
        r.body =
            R"({"user": {"b": 1, "a": 2.50, "s": "\u00e9t\u00e9", "n": {"z": null, "y": [true]}}})";
      }
      if (q.target == "/latin1") r.headers.add("X-Name", "caf\xe9");  // not UTF-8
      if (q.target.rfind("/deep/", 0) == 0) {  // {"a":{"a":...1...}} nested N deep
        const auto n = std::stoul(q.target.substr(6));
        for (std::size_t i = 0; i < n; ++i) r.body += R"({"a":)";
        r.body += "1" + std::string(n, '}');
      }
      if (stop_after_ != 0 && seen_.size() == stop_after_) user_->stop();
    });
  });
};

TEST_F(UserFlow, AFailedStepEndsTheRestOfItsTaskByDefault) {
  run_user("[{tasks: [{steps: [{get: /status/500}, {get: /never}]}]}]", 3);
  EXPECT_EQ(seen_, (std::vector<std::string>{"/status/500", "/status/500", "/status/500"}));
}

TEST_F(UserFlow, ContinueGoesOnWithTheNextStep) {
  run_user("[{tasks: [{steps: [{get: /status/500, on_failure: continue}, {get: /next}]}]}]", 4);
  EXPECT_EQ(seen_, (std::vector<std::string>{"/status/500", "/next", "/status/500", "/next"}));
}

TEST_F(UserFlow, StopUserEndsTheUserThenRunsOnStopAndSaysSo) {
  run_user(
      "[{name: buyer, on_stop: [{get: /logout}], tasks: [{steps: [{get: /status/503, "
      "on_failure: stop_user}, {get: /never}]}]}]");
  EXPECT_EQ(seen_, (std::vector<std::string>{"/status/503", "/logout"}));
  EXPECT_EQ(stats_.errors().at(
                {"USER", "buyer", "stopped by a failed request in a task: GET /status/503"}),
            1u)
      << "a row of its own in the failures table, under the user class";
}

TEST_F(UserFlow, IterationIsTheTasksRunBeforeInOnStartTasksAndOnStop) {
  // QA: on_start sent "iteration=" and on_stop the last task's number, one short.
  run_user(
      "[{on_start: [{get: \"/start?i=${iteration}\"}], on_stop: [{get: \"/stop?i=${iteration}\"}], "
      "tasks: [{get: \"/task?i=${iteration}\"}]}]",
      4);
  EXPECT_EQ(seen_, (std::vector<std::string>{"/start?i=0", "/task?i=0", "/task?i=1", "/task?i=2",
                                             "/stop?i=3"}));
}

TEST_F(UserFlow, AFailedOnStartStopsTheUserAsLocustsStopUser) {
  run_user("[{name: buyer, on_start: [{get: /status/401}, {get: /never}], tasks: [{get: /task}]}]");
  EXPECT_EQ(seen_, std::vector<std::string>{"/status/401"}) << "no task ran";
  EXPECT_EQ(errors("stopped by a failed request in on_start: GET /status/401"), 1u);
  EXPECT_EQ(errors("HTTP 401 Unauthorized"), 1u) << "and the request's own failure";
}

TEST_F(UserFlow, OnStartStepsMayChooseToContinue) {
  run_user(
      "[{on_start: [{get: /status/404, on_failure: continue}, {get: /prefs}], tasks: [{get: "
      "/task}]}]",
      3);
  EXPECT_EQ(seen_, (std::vector<std::string>{"/status/404", "/prefs", "/task"}));
}

TEST_F(UserFlow, ACaptureThatFindsNothingFailsTheRequest) {
  run_user(
      "[{on_start: [{get: /token, capture: {missing: {json: $.nope}}}], tasks: [{get: /task}]}]");
  EXPECT_EQ(seen_, std::vector<std::string>{"/token"});
  EXPECT_EQ(errors("capture missing: nothing matched $.nope"), 1u);
}

TEST_F(UserFlow, CapturesAndChecksGoThroughTheRealClient) {
  run_user(
      R"yaml([{on_start: [{get: /token, check: {status: 2xx, header: {content-type: application/json},
          json: {$.count: {gt: 0}}, body_regex: '"token"', max_duration: 10s},
          capture: {token: {regex: '"token": "([^"]+)"'}, rid: {header: X-Request-Id},
          hint: {json: $.hint, optional: true}}}],
        tasks: [{get: "/use/${token}/${rid}/[${hint}]"}]}])yaml",
      2);
  EXPECT_EQ(seen_, (std::vector<std::string>{"/token", "/use/t-1/r-17/[]"}));
  EXPECT_TRUE(stats_.errors().empty());
}

TEST_F(UserFlow, AJsonBodyGoesWithItsKeysInTheOrderWritten) {
  // QA: the keys went sorted; Locust and k6 send them as written, and a server that signs or
  // hashes the body, or compares it with a golden file, sees the difference.
  run_user(
      R"yaml([{tasks: [{steps: [{post: /fixed, json: {zeta: 1, alpha: 2, mid: {y: 1, b: 2}}},
          {post: /templated, json: {zeta: "${iteration}", alpha: [{y: "i${iteration}", b: 2}]}}]}]}])yaml",
      2);
  EXPECT_EQ(bodies_, (std::vector<std::string>{R"({"zeta":1,"alpha":2,"mid":{"y":1,"b":2}})",
                                               R"({"zeta":"0","alpha":[{"y":"i0","b":2}]})"}));
}

TEST_F(UserFlow, TextThatIsNotUtf8GoesInAJsonBodyAsReplacementCharacters) {
  // Hunt: a Latin-1 capture (or data cell) in a json body threw out of the user's green thread:
  // the user was gone unseen, nothing counted. JSON text is UTF-8: such bytes go as U+FFFD.
  run_user(
      R"yaml([{on_start: [{get: /latin1, capture: {name: {header: X-Name}}}],
        tasks: [{steps: [{post: /echo, json: {name: "${name}"}}]}]}])yaml",
      3);
  ASSERT_EQ(bodies_.size(), 3u) << "the user went on";
  EXPECT_EQ(bodies_[1], "{\"name\":\"caf\xef\xbf\xbd\"}");
  EXPECT_TRUE(stats_.errors().empty());
}

TEST_F(UserFlow, ACapturedObjectKeepsItsKeysInTheOrderTheServerSentThem) {
  // QA: $.user captured {"b":1,"a":2} as {"a":2,"b":1}; k6 (JSON.stringify of res.json()) keeps
  // the server's order, and a server that compares or signs what it gets back sees the change.
  run_user(
      R"yaml([{on_start: [{get: /user, capture: {user: {json: $.user}, inner: {json: $.user.n}}}],
        tasks: [{steps: [{post: /echo, body: "${user}"}, {post: /echo, body: "${inner}"}]}]}])yaml",
      3);
  ASSERT_EQ(bodies_.size(), 3u);
  EXPECT_EQ(bodies_[1], R"({"b":1,"a":2.5,"s":"été","n":{"z":null,"y":[true]}})");
  EXPECT_EQ(bodies_[2], R"({"z":null,"y":[true]})");
  EXPECT_TRUE(stats_.errors().empty());
}

TEST_F(UserFlow, CapturedTextThatWouldSplitARequestFailsItUnsent) {
  // A capture (or a data cell) put in a header or a path is checked when the request is sent:
  // a CR or LF there would let the target's answer inject headers or smuggle a request.
  run_user(
      R"yaml([{on_start: [{get: /evil, capture: {token: {json: $.token}, tail: {json: $.tail}}}],
        tasks: [{steps: [{get: /use, headers: {X-Token: "${token}"}, on_failure: continue},
          {get: "/go${tail}", on_failure: continue}, {get: /next}]}]}])yaml",
      2);
  EXPECT_EQ(seen_, (std::vector<std::string>{"/evil", "/next"})) << "neither was sent";
  EXPECT_EQ(injected_, 0u);
  EXPECT_EQ(errors("other: header X-Token value contains CR/LF"), 1u);
  EXPECT_EQ(errors("other: request target contains CR/LF"), 1u);
}

TEST_F(UserFlow, DeeplyNestedJsonFailsItsCheckInsteadOfCrashingTheWorker) {
  // Printing what $.a held (an object 10,000 levels deep) recursed off the green stack.
  run_user(
      "[{tasks: [{steps: [{get: /deep/10000, check: {json: {$.a: 1}}, on_failure: continue},"
      "{get: /deep/500, capture: {inner: {json: $.a.a}}}, {get: /deep/3, check: {json: {$.a: "
      "1}}}]}]}]",
      3);
  EXPECT_EQ(errors("body is not JSON (checking $.a)"), 1u);
  EXPECT_EQ(errors("$.a is {\"a\":{\"a\":1}}, expected 1"), 1u)
      << "JSON nested within the bound is checked";
  EXPECT_EQ(stats_.errors().size(), 2u) << "the capture from 500 levels deep was made";
}

TEST_F(UserFlow, AWebSocketThatNeverOpenedIsOpenedAgainByEachStepThatNeedsIt) {
  // QA: an on_start handshake the server refused (this server answers 200), then a close step:
  // the handshake was never tried again, and every later step failed at once, with no I/O, as
  // "not_open: the WebSocket was closed". Each send now asks the server again; only the
  // handshake counts, once per try.
  run_user(
      "[{on_start: [{ws: /chat, on_failure: continue}], tasks: [{steps: [{close: 4000}, {send: "
      "hi}]}]}]",
      4);
  EXPECT_EQ(seen_, (std::vector<std::string>{"/chat", "/chat", "/chat", "/chat"}));
  EXPECT_EQ(errors("handshake: expected 101 Switching Protocols, got 200 OK"), 4u);
  EXPECT_EQ(stats_.errors().size(), 1u) << "no failure of the steps' own";
}

TEST_F(UserFlow, AUserWhoseEveryStepFailsAtOnceStillLetsTheHubsOtherThreadsRun) {
  // A send with no WebSocket fails with no I/O, and without a wait the next task starts at
  // once: the user yields between its tasks all the same, as for any failure, so the other
  // threads of its hub (here the one that stops it) go on. A user that never yielded would
  // hold the hub for good: nothing else, its timeout neither, would run again.
  const std::string no_websocket = "not_open: no WebSocket is open (a ws: step opens one)";
  auto watcher = g::spawn([&] {
    while (!user_ || errors(no_websocket) < 1000) g::yield();
    user_->stop();
  });
  run_user("[{tasks: [{send: hi}]}]");
  EXPECT_GE(errors(no_websocket), 1000u);
  EXPECT_TRUE(seen_.empty());
}

TEST_F(UserFlow, TheExecutorRecordsAFailedCheckUnderItsRequest) {
  scenario_ = c::load_scenario_text(
      "target: http://127.0.0.1:" + std::to_string(listener_.local_port()) +
          "\nusers: [{tasks: [{get: /token, name: tok, check: {json: {$.count: {lt: 3}}}}]}]\n",
      "t.yaml");
  std::string url_error;
  h::client client(*h::parse_url(scenario_.target, url_error), {});
  w::user_variables vars;
  w::request_executor exec(client, stats_, vars);
  const auto& spec = scenario_.users[0].tasks[0].steps[0];
  EXPECT_FALSE(exec.run(spec));
  EXPECT_FALSE(exec.run(spec));
  const auto& entry = stats_.entries().at({"GET", "tok"});
  EXPECT_EQ(entry.requests, 2u);
  EXPECT_EQ(entry.failures, 2u);
  EXPECT_EQ(stats_.errors().at({"GET", "tok", "$.count is 3, expected < 3"}), 2u)
      << "one row for both: the message is the same each time";
}

}  // namespace
