#pragma once
// What the `swarmlet` functions need to know of the user whose Lua code calls them: its id,
// its HTTP client, the green threads it spawned (they die with it), and how to stop it.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/green/event.hpp"
#include "common/green/green_thread.hpp"
#include "common/http/client.hpp"
#include "common/http/websocket.hpp"

namespace swarmlet::stats {
struct request_stats;
class stats_table;
class exception_table;
}  // namespace swarmlet::stats

namespace swarmlet::script {

struct ws_object;
class spawned_error;

/// A response judged by the script (`catch = true`), recorded at r:success(), r:failure(msg),
/// or else, with the default judgement, at the user's next request or at the end of the task.
struct pending_response {
  std::uint64_t sequence = 0;
  const void* thread = nullptr;  ///< the green thread (its thread_info) that made the request
  stats::stats_table* table = nullptr;
  stats::request_stats* entry = nullptr;
  std::string method, name;
  std::uint64_t elapsed_us = 0;  ///< with the task's start lag when `scheduled`
  std::uint64_t service_us = 0;  ///< its own time (the open model's first request of a task)
  bool scheduled = false;
  std::uint64_t bytes = 0;
  std::string default_failure;  ///< empty: a success by default
};

struct user_context {
  std::uint64_t id = 0;
  /// Makes the user's HTTP client when it first requests (an idle user costs no buffers),
  /// and more of them: green threads of one user (sw.spawn, sw.pool) that request at the
  /// same time each need a connection of their own. Empty outside a user.
  std::function<std::unique_ptr<http::client>()> make_client;
  /// The user's cookies: one jar for all its clients, sent on its WebSocket upgrades too.
  std::shared_ptr<http::cookie_jar> cookies = std::make_shared<http::cookie_jar>();
  /// Makes a WebSocket client for u.ws:connect (the user's target, TLS and timeouts), taking
  /// messages up to `max_message` bytes. Empty outside a user.
  std::function<std::unique_ptr<http::websocket>(std::size_t max_message)> make_websocket;
  /// The user's WebSockets (u.ws:connect): closed when the user ends (see ws_api).
  std::vector<ws_object*> websockets;
  /// How long ws:recv() waits when not told (the scenario's http.timeout).
  green::duration websocket_timeout = std::chrono::seconds(30);
  /// Asked by sw.stop_user(): the user stops after the current task.
  std::function<void()> stop;
  /// Sent when the user is told to stop: it cuts sw.sleep short (the task then ends quietly),
  /// so a test ends without waiting for a script's long sleeps. May be null.
  green::event<>* stopping = nullptr;
  /// on_stop runs: the stop that started it ends neither its requests nor its sleeps.
  bool finishing = false;
  std::vector<green::green_thread<void>> children;
  /// Errors its spawned green threads ended with that no h:wait() has taken yet: counted when
  /// the user ends (end_children) unless taken or counted (their handle collected) before.
  std::vector<std::shared_ptr<spawned_error>> untaken_errors;
  /// Responses made with catch = true and not judged yet: at most one per green thread of the
  /// user (a thread's next request counts its last as judged by default; the others' stay).
  std::vector<pending_response> pending;
  /// The open model: how late the task running now started against its schedule (the
  /// generator's lag). Its first request's response time is its service time plus this (no
  /// coordinated omission), as a YAML user's is; taken by it. Not the time from the intended
  /// start: what the script does before that request (sw.sleep, building a payload) is its
  /// own time, not the target's.
  std::optional<std::chrono::microseconds> start_lag;
  std::uint64_t next_sequence = 0;
  /// Where the user's requests and exceptions count (engine::stats_of): its run's tables, so
  /// that a user of a run that is over, still ending its request, counts in no later run.
  /// Null: the engine's.
  stats::stats_table* stats = nullptr;
  stats::exception_table* exceptions = nullptr;

  /// Records the pending responses with their judgement (by default unless judged): every
  /// one, or only the one `thread` made.
  void settle();
  void settle(const void* thread);
  /// The pending response numbered `sequence`; null once it was counted.
  pending_response* pending_numbered(std::uint64_t sequence);
  /// A client this green thread may send a request to `target` (a path or a URL) on now: the
  /// user's first one when its connection to that origin multiplexes (HTTP/2: requests of the
  /// user's green threads are streams of one connection) or when no other green thread is in
  /// an HTTP/1.1 exchange on it, else another (kept for later). `exclusive` tells which of the
  /// two the first one was taken for. May park while a connection is being made (to learn
  /// whether it is HTTP/2). Give it back with release().
  http::client& acquire(std::string_view target, bool& exclusive);
  void release(http::client& c, bool exclusive) {
    if (&c == main_.get()) {
      if (exclusive) main_exclusive_ = false;
    } else {
      idle_.push_back(&c);
    }
  }

 private:
  std::unique_ptr<http::client> main_;
  bool main_exclusive_ = false;      // a green thread is in an HTTP/1.1 exchange on main_
  std::vector<http::client*> idle_;  // extra clients not in use
  std::vector<std::unique_ptr<http::client>> extra_;
  struct named_entry {
    std::string method, name;
    stats::request_stats* entry;
  };
  std::vector<named_entry> entries_;  // few names per user: a short list beats a map

 public:
  /// The stats entry of (method, name), remembered for the next request of the same name.
  stats::request_stats& entry_of(stats::stats_table& table, const std::string& method,
                                 const std::string& name);
  http::request request;  ///< reused by u.http's requests
  bool request_busy = false;
  /// HTTP requests the user's green threads are waiting on now; `request_ended` is sent as
  /// each ends (await_requests waits on it).
  std::size_t requests_in_flight = 0;
  green::event<> request_ended;
  /// Parks until no green thread of the user waits on a response, or `bound` has passed.
  void await_requests(green::duration bound);
  /// The first step of the user's end (or a setup/teardown call's): with requests in flight,
  /// sends `stopping`, so its threads send no more, and awaits those requests for up to
  /// `bound`. Killed with a request in flight, a thread's request was served and counted
  /// nowhere (QA: the target served 30, the report said 25).
  void stop_and_await_requests(green::duration bound);
  /// Kills every green thread the user spawned that is still alive (a wait for one then
  /// returns nothing: see l_thread_wait).
  void kill_children();
  /// kill_children(), then counts the errors its threads ended with that nobody took
  /// (spawned_error): the user's end, after on_stop (which may still take them).
  void end_children();
  /// Keeps `error` until the user ends (a wait may take it meanwhile).
  void keep_untaken(std::shared_ptr<spawned_error> error);
};

/// One request's use of a client of the user.
class client_lease {
 public:
  client_lease(user_context& u, std::string_view target)
      : user_(u), client_(u.acquire(target, exclusive_)) {}
  ~client_lease() { user_.release(client_, exclusive_); }
  client_lease(const client_lease&) = delete;
  client_lease& operator=(const client_lease&) = delete;
  http::client& operator*() const noexcept { return client_; }
  http::client* operator->() const noexcept { return &client_; }

 private:
  user_context& user_;
  bool exclusive_ = false;
  http::client& client_;
};

}  // namespace swarmlet::script
