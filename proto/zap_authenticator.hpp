#pragma once
// ZeroMQ's ZAP handler for the master's CURVE sockets: admits the workers whose public keys are
// on the allow-list and refuses the others, naming each refused key once. Without one, CURVE
// still encrypts and admits any worker that knows the master's public key.
#include <cstdint>
#include <iosfwd>
#include <set>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "common/green/green_thread.hpp"
#include "common/green/zmq_socket.hpp"

namespace swarmlet::proto {

class zap_authenticator {
 public:
  /// Serves ZAP for every socket of `context` (bind before they do); `allowed` are Z85 keys.
  zap_authenticator(zmq::context_t& context, const std::vector<std::string>& allowed,
                    std::ostream* log);
  ~zap_authenticator();
  zap_authenticator(const zap_authenticator&) = delete;
  zap_authenticator& operator=(const zap_authenticator&) = delete;

  std::uint64_t refused() const noexcept { return refused_; }

 private:
  void serve();
  /// The reply to one ZAP request's frames: [version, request id, status, text, user id, metadata].
  std::vector<std::string> answer(const std::vector<zmq::message_t>& request);

  green::zmq_socket socket_;
  std::set<std::string> allowed_;
  std::set<std::string> named_;  // refused keys already logged
  std::ostream* log_;
  std::uint64_t refused_ = 0;
  green::green_thread<void> thread_;
};

}  // namespace swarmlet::proto
