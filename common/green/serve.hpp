#pragma once
// eventlet's serve(): accept connections for ever, each handled in a green thread of a pool.
#include <cstddef>
#include <exception>
#include <memory>
#include <utility>

#include "errors.hpp"
#include "green_pool.hpp"
#include "hub.hpp"
#include "socket.hpp"

namespace swarmlet::green {

/// Accepts on `listener` and runs `handler(socket&)` for each connection in a green thread,
/// at most `concurrency` at once (a new connection waits for a free slot). The connection is
/// closed when the handler returns. A handler that throws stop_serve ends the loop (serve then
/// returns, leaving running handlers to finish); other exceptions are printed and the server
/// goes on. Blocks the caller until then; kill the caller's thread to stop it from outside.
template <class Handler>
void serve(socket& listener, Handler handler, std::size_t concurrency = 1000) {
  hub& h = hub::get();
  // Handlers may outlive this call: they reach the server thread only while it serves.
  auto server = std::make_shared<thread_record*>(h.current_thread());
  struct clear_on_exit {
    std::shared_ptr<thread_record*>& s;
    ~clear_on_exit() { *s = nullptr; }
  } clear{server};
  green_pool pool(concurrency);
  try {
    for (;;) {
      socket conn = listener.accept();
      pool.spawn_n([&h, server, handler, c = std::move(conn)]() mutable {
        try {
          handler(c);
        } catch (const stop_serve&) {
          if (*server != nullptr)
            h.inject(*server, std::make_exception_ptr(stop_serve{}), /*replace=*/false);
        }
      });
    }
  } catch (const stop_serve&) {
  }
}

}  // namespace swarmlet::green
