#pragma once
// A small HTTP/1.1 server on green sockets: a green thread per connection, keep-alive and
// pipelining, handlers that may block (they run on the connection's green thread).
#include <cstddef>
#include <functional>
#include <optional>

#include "common/green/socket.hpp"
#include "common/green/stream.hpp"
#include "http_message.hpp"

namespace swarmlet::http {

/// Fills `res` for `req`. Throwing answers 500 with the exception's message.
using handler = std::function<void(const request& req, response& res)>;

/// Serves HTTP on one connection until the client closes it, asks to, or sends bad HTTP
/// (answered with 400). Never throws for a misbehaving client. With `request_deadline`, a
/// connection that has not brought a whole request that long after the previous answer (or
/// its opening), or whose answer has made no progress (64 KiB) for that long, is closed: an idle,
/// trickling or never-reading client cannot hold one of a small pool's places for ever (the
/// master's API and a worker's health port).
void serve_connection(green::stream& connection, const handler& handle,
                      std::optional<green::duration> request_deadline = std::nullopt);

/// Accepts on `listener` for ever (like green::serve), each connection in its own green thread.
void serve_http(green::socket& listener, handler handle, std::size_t concurrency = 10000,
                std::optional<green::duration> request_deadline = std::nullopt);

}  // namespace swarmlet::http
