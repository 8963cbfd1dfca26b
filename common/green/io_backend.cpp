#include "io_backend.hpp"

#include <stdexcept>
#include <string>
#include <system_error>

namespace swarmlet::green {

backend_kind parse_backend_kind(std::string_view name) {
  if (name == "epoll") return backend_kind::epoll;
  if (name == "poll") return backend_kind::poll;
  if (name == "select") return backend_kind::select;
  if (name == "io_uring") return backend_kind::io_uring;
  throw std::invalid_argument("unknown hub backend '" + std::string(name) +
                              "': expected epoll, poll, select or io_uring");
}

const char* to_string(backend_kind kind) noexcept {
  switch (kind) {
    case backend_kind::epoll:
      return "epoll";
    case backend_kind::poll:
      return "poll";
    case backend_kind::select:
      return "select";
    case backend_kind::io_uring:
      return "io_uring";
  }
  return "?";
}

std::string backend_unavailable_reason(backend_kind kind) {
  if (kind != backend_kind::io_uring) return "";
  try {
    make_io_uring_backend();
  } catch (const std::system_error& e) {
    return e.what();
  }
  return "";
}

std::unique_ptr<io_backend> make_backend(backend_kind kind) {
  switch (kind) {
    case backend_kind::poll:
      return make_poll_backend();
    case backend_kind::select:
      return make_select_backend();
    case backend_kind::io_uring:
      return make_io_uring_backend();
    case backend_kind::epoll:
      break;
  }
  return make_epoll_backend();
}

}  // namespace swarmlet::green
