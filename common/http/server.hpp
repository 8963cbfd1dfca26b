#pragma once
// A small HTTP/1.1 server on green sockets: a green thread per connection, keep-alive and
// pipelining, handlers that may block (they run on the connection's green thread).
#include <cstddef>
#include <functional>
#include <limits>
#include <optional>

#include "common/green/socket.hpp"
#include "common/green/stream.hpp"
#include "http_message.hpp"

namespace swarmlet::http {

/// Fills `res` for `req`. Throwing answers 500 with the exception's message.
using handler = std::function<void(const request& req, response& res)>;

/// What a server reads of a request before it answers: a body is read whole into memory before
/// the handler runs, so a server whose requests are small says so here, and one that refuses
/// a request whatever its body (no token, no such route) says so before the body is read.
struct request_limits {
  /// The largest body read: one announced larger (Content-Length) is answered 413 before any
  /// of it is read, a chunked one once it passes this (the parser's own 64 MiB bound beyond).
  std::size_t max_body = std::numeric_limits<std::size_t>::max();
  /// Given the head of a request that announces a body (method, target, headers; no body):
  /// an answer refuses the request before its body is read, and the connection then closes
  /// (its body is never read). Null, or no answer: the body is read and the handler runs.
  std::function<std::optional<response>(const request& head)> check_head;
};

/// Serves HTTP on one connection until the client closes it, asks to, or sends bad HTTP
/// (answered with 400). Never throws for a misbehaving client. With `request_deadline`, a
/// connection that has not brought a whole request that long after the previous answer (or
/// its opening), or whose answer has made no progress (64 KiB) for that long, is closed: an idle,
/// trickling or never-reading client cannot hold one of a small pool's places for ever (the
/// master's API and a worker's health port).
/// `limits`: see request_limits.
void serve_connection(green::stream& connection, const handler& handle,
                      std::optional<green::duration> request_deadline = std::nullopt,
                      const request_limits& limits = {});

/// Accepts on `listener` for ever (like green::serve), each connection in its own green thread.
void serve_http(green::socket& listener, handler handle, std::size_t concurrency = 10000,
                std::optional<green::duration> request_deadline = std::nullopt,
                request_limits limits = {});

}  // namespace swarmlet::http
