#include "silent_listener.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include "process.hpp"

namespace swarmlet::testing_support {

silent_listener::silent_listener() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(fd_, 16) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    throw std::runtime_error("silent_listener: cannot listen on loopback");
  url_ = "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port));
}

silent_listener::~silent_listener() {
  for (int c : accepted_) ::close(c);
  if (fd_ >= 0) ::close(fd_);
}

bool silent_listener::accept_one(std::chrono::seconds deadline) {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(deadline.count() * 1000)) != 1) return false;
  const int c = ::accept(fd_, nullptr, nullptr);
  if (c < 0) return false;
  accepted_.push_back(c);
  return true;
}

std::string silent_listener::scenario(const std::string& load, const std::string& tasks) const {
  return write_temp_file("scenario.yaml", "target: " + url_ + "\nhttp: {timeout: 1h}\nload: " +
                                              load + "\nusers: [{tasks: " + tasks + "}]\n");
}

}  // namespace swarmlet::testing_support
