#include "io_backend.hpp"

#include <stdexcept>
#include <string>

namespace swarmlet::green {

backend_kind parse_backend_kind(std::string_view name) {
  if (name == "epoll") return backend_kind::epoll;
  if (name == "poll") return backend_kind::poll;
  if (name == "select") return backend_kind::select;
  throw std::invalid_argument("unknown hub backend '" + std::string(name) +
                              "': expected epoll, poll or select");
}

const char* to_string(backend_kind kind) noexcept {
  switch (kind) {
    case backend_kind::epoll:
      return "epoll";
    case backend_kind::poll:
      return "poll";
    case backend_kind::select:
      return "select";
  }
  return "?";
}

std::unique_ptr<io_backend> make_backend(backend_kind kind) {
  switch (kind) {
    case backend_kind::poll:
      return make_poll_backend();
    case backend_kind::select:
      return make_select_backend();
    case backend_kind::epoll:
      break;
  }
  return make_epoll_backend();
}

}  // namespace swarmlet::green
