#include "server.hpp"

#include <sys/socket.h>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "common/green/errors.hpp"
#include "common/green/event.hpp"
#include "common/green/green_pool.hpp"
#include "common/green/hub.hpp"
#include "common/green/socket.hpp"
#include "common/green/timeout.hpp"
#include "message_parser.hpp"

namespace swarmlet::http {
namespace {

/// The answer on the wire, into `buffer`. `head`: answering a HEAD request (headers as for
/// GET, no body).
void format_response(std::string& buffer, const response& res, bool close, bool head) {
  // 1xx, 204 and 304 answers never carry a body (RFC 9110).
  const bool bodiless = res.status < 200 || res.status == 204 || res.status == 304;
  buffer.clear();
  buffer += "HTTP/1.1 ";
  buffer += std::to_string(res.status);
  buffer += ' ';
  buffer += reason_phrase(res.status);
  buffer += "\r\n";
  for (const auto& [k, v] : res.headers.fields()) {
    buffer += k;
    buffer += ": ";
    buffer += v;
    buffer += "\r\n";
  }
  if (!bodiless) {
    buffer += "Content-Length: ";
    buffer += std::to_string(res.body.size());
    buffer += "\r\n";
  }
  if (close) buffer += "Connection: close\r\n";
  buffer += "\r\n";
  if (!bodiless && !head) buffer += res.body;
}

/// 413 for a body over `most` bytes.
response body_too_large(std::size_t most) {
  response res;
  res.status = 413;
  res.headers.add("Content-Type", "text/plain; charset=utf-8");
  res.body = "request body over " + std::to_string(most) + " bytes, the most this server takes\n";
  return res;
}

/// The answer refusing a request whose head `head` is read and whose body is not: one over
/// limits.max_body by its Content-Length, or limits.check_head's. None for a request without a
/// body: it is whole already, and answered as any.
std::optional<response> refuse_head(const request& head, const request_limits& limits) {
  const auto length = head.headers.get("content-length");
  const bool chunked = head.headers.has("transfer-encoding");
  if (!chunked && (!length || *length == "0")) return std::nullopt;
  if (length && !chunked) {
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(length->data(), length->data() + length->size(), n);
    if (ec != std::errc{} || n > limits.max_body) return body_too_large(limits.max_body);
  }
  if (limits.check_head) return limits.check_head(head);
  return std::nullopt;
}

/// Before closing on a request whose body was not read: reads and drops what the client still
/// sends, until it closes or for at most 2 s or 16 MiB. Closing with bytes unread makes the
/// kernel send a reset, which can destroy the answer in the client's buffers before it is read
/// (a refused upload saw "connection reset" instead of its 413): nginx's lingering close.
void drain_before_close(green::stream& connection, std::span<char> buffer) {
  // Half-closed first (a plain socket; TLS has no half-close but close_notify, which would end
  // the drain too): a client waiting for the close then closes at once, not after the linger.
  if (auto* plain = dynamic_cast<green::socket*>(&connection)) plain->shutdown(SHUT_WR);
  constexpr auto linger = std::chrono::seconds(2);
  constexpr std::uint64_t most = 16 << 20;
  green::with_timeout(linger, [&] {
    for (std::uint64_t dropped = 0; dropped < most;) {
      const std::size_t n = connection.read_some(buffer);
      if (n == 0) return;
      dropped += n;
    }
  });
}

/// The connections of a server parked reading a request (none of it yet, or part), by when
/// they began waiting for it. When every place is taken, the idle one (no byte of a request
/// yet) waiting longest gives its place to the newcomer, as nginx closes idle keep-alive
/// connections for new ones; only when none is idle, the one whose request began earliest
/// (review: a slow upload from the UI went before idle connections). 300 idle
/// connections kept a master's /healthz unanswered for 30 s (the request deadline), long
/// enough for Kubernetes' liveness probe to restart it mid-test (web hunt).
class waiting_connections {
 public:
  /// A number per request awaited, growing: the lower, the longer it has been waited for.
  std::uint64_t next_request() noexcept { return ++requests_; }
  /// While the running green thread reads (parked) for request `number`.
  class reading {
   public:
    reading(waiting_connections* all, bool begun, std::uint64_t number)
        : all_(all), key_(begun, number) {
      if (all_ == nullptr) return;
      all_->by_request_.emplace(key_, green::hub::get().current_thread());
      if (!all_->reader_came_.ready()) all_->reader_came_.send();
    }
    ~reading() {
      if (all_ != nullptr) all_->by_request_.erase(key_);
    }
    reading(const reading&) = delete;
    reading& operator=(const reading&) = delete;

   private:
    waiting_connections* all_;
    std::pair<bool, std::uint64_t> key_;
  };
  /// Ends the connection that has waited longest for its request (it sees green_exit where it
  /// reads, and closes); none if no connection is reading.
  bool close_longest_waiting() {
    if (by_request_.empty()) return false;
    const auto oldest = by_request_.begin();
    green::thread_record* const t = oldest->second;
    by_request_.erase(oldest);
    green::hub::get().inject(t, std::make_exception_ptr(green::green_exit{}), /*replace=*/false);
    return true;
  }
  /// Parks until a connection begins reading, for at most `most`.
  void wait_for_a_reader(green::duration most) {
    reader_came_.reset();
    reader_came_.wait_for(most);
  }

 private:
  /// By (request begun, number): the idle ones first, then those reading a request.
  std::map<std::pair<bool, std::uint64_t>, green::thread_record*> by_request_;
  green::event<> reader_came_;
  std::uint64_t requests_ = 0;
};

void serve_one(green::stream& connection, const handler& handle,
               std::optional<green::duration> request_deadline, const request_limits& limits,
               waiting_connections* waiting) {
  message_parser parser(message_parser::kind::request);
  std::vector<char> in(16 * 1024);
  std::size_t begin = 0, end = 0;
  std::string out;
  // A request refused on its head, or as its body outgrew limits.max_body: its answer.
  std::optional<response> refused;
  // Reads one request; false when the client closed between requests.
  std::uint64_t request_number = 0;
  auto read_request = [&] {
    bool head_checked = false;
    while (!parser.complete() && !parser.failed()) {
      if (begin == end) {
        begin = 0;
        const waiting_connections::reading parked(waiting, parser.started(), request_number);
        end = connection.read_some(std::span<char>(in.data(), in.size()));
        if (end == 0) {
          if (!parser.started()) return false;
          parser.finish();
          break;
        }
      }
      begin += parser.feed(in.data() + begin, end - begin);
      // Checked once the head is read: what was fed beyond it is at most one read of the body
      // (16 KiB), not the 64 MiB the parser would take (sandbox hunt: 24 unauthenticated
      // uploads to no route held 1.5 GB of the master).
      if (!head_checked && parser.head_complete()) {
        head_checked = true;
        if ((refused = refuse_head(parser.request(), limits))) return true;
      }
      if (parser.request().body.size() > limits.max_body) {
        refused = body_too_large(limits.max_body);
        return true;
      }
    }
    return true;
  };
  // The answer makes progress within the deadline too, each 64 KiB of it: a client that never
  // reads would otherwise hold its place for ever once the socket's buffers were full, while one
  // that downloads a large report slowly is not cut off.
  auto answer = [&](const response& res, bool close, bool head) {
    format_response(out, res, close, head);
    if (!request_deadline) {
      connection.write_all(out);
      return true;
    }
    constexpr std::size_t slice = 64 * 1024;
    for (std::size_t at = 0; at < out.size(); at += slice) {
      const std::string_view part = std::string_view(out).substr(at, slice);
      if (!green::with_timeout(*request_deadline, [&] { connection.write_all(part); }))
        return false;
    }
    return true;
  };
  try {
    for (;;) {
      parser.start();
      refused.reset();
      if (waiting != nullptr) request_number = waiting->next_request();
      if (request_deadline) {
        const std::optional<bool> read = green::with_timeout(*request_deadline, read_request);
        if (!read || !*read) return;  // no whole request in time, or the client closed
      } else if (!read_request()) {
        return;
      }
      if (refused) {
        // Its body unread (or read in part): the connection cannot go on to a next request.
        // Not for a client that did not take the answer in time: it is not reading anyway.
        if (answer(*refused, true, parser.request().method == "HEAD"))
          drain_before_close(connection, in);
        return;
      }
      if (parser.failed()) {
        response bad;
        bad.status = parser.body_too_large() ? 413 : 400;
        bad.body = "bad request: " + parser.error() + "\n";
        if (answer(bad, true, false)) drain_before_close(connection, in);
        return;
      }
      if (parser.major_version() != 1) {
        // RFC 9110 15.6.6: a version this server does not speak (HTTP/2 comes as a preface,
        // never as such a request line) is refused, not answered as if it were 1.1.
        response refused;
        refused.status = 505;
        refused.body = "HTTP version not supported: this server speaks HTTP/1.1\n";
        answer(refused, true, false);
        return;
      }
      response res;
      res.status = 200;
      try {
        handle(parser.request(), res);
      } catch (const green::green_exit&) {
        throw;
      } catch (const std::exception& e) {
        res = response{};
        res.status = 500;
        res.body = std::string("handler failed: ") + e.what() + "\n";
      }
      const bool close = !parser.keep_alive();
      if (!answer(res, close, parser.request().method == "HEAD") || close) return;
    }
  } catch (const std::system_error&) {
    // The client went away mid-exchange: nothing to answer.
  }
}

}  // namespace

void serve_connection(green::stream& connection, const handler& handle,
                      std::optional<green::duration> request_deadline,
                      const request_limits& limits) {
  serve_one(connection, handle, request_deadline, limits, nullptr);
}

void serve_http(green::socket& listener, handler handle, std::size_t concurrency,
                std::optional<green::duration> request_deadline, request_limits limits) {
  // Shared with the connections' threads, which may outlive this call (killed from outside).
  auto waiting = std::make_shared<waiting_connections>();
  green::green_pool pool(concurrency);
  for (;;) {
    green::socket conn = listener.accept();
    // Every place taken: one waiting for its request gives its place (freed as its thread
    // unwinds, which spawn_n waits for). The connections just accepted may not have begun
    // reading yet: waited for, looking again at times for a place freed meanwhile.
    while (pool.free() == 0 && !waiting->close_longest_waiting())
      waiting->wait_for_a_reader(std::chrono::milliseconds(50));
    pool.spawn_n([handle, request_deadline, limits, waiting, c = std::move(conn)]() mutable {
      serve_one(c, handle, request_deadline, limits, waiting.get());
    });
  }
}

}  // namespace swarmlet::http
