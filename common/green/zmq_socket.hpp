#pragma once
// A ZeroMQ socket whose send and recv park the green thread, so one hub serves ZeroMQ and TCP
// at once. ZMQ_FD only signals that ZMQ_EVENTS may have changed (edge-like, read side only),
// so every wait re-checks (ZMQ_EVENTS, or for a recv the recv itself), and after every
// operation the other threads parked on the socket are woken to re-check.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "clock.hpp"
#include "watched_fd.hpp"

namespace swarmlet::green {

class zmq_socket {
 public:
  /// A socket of `type` on `context`, registered with this thread's hub.
  zmq_socket(zmq::context_t& context, zmq::socket_type type);
  ~zmq_socket();
  zmq_socket(const zmq_socket&) = delete;
  zmq_socket& operator=(const zmq_socket&) = delete;

  void bind(const std::string& endpoint) { socket_.bind(endpoint); }
  void connect(const std::string& endpoint) { socket_.connect(endpoint); }
  /// The last endpoint bound (to read back a port chosen by "tcp://127.0.0.1:*").
  std::string last_endpoint() const { return socket_.get(zmq::sockopt::last_endpoint); }
  /// The underlying socket, for options. Do not send or receive through it.
  zmq::socket_ref raw() noexcept { return socket_; }

  /// Sends one frame, parking while the socket cannot take it (high-water mark).
  /// False when `timeout` passed first. Throws zmq::error_t on socket errors.
  bool send(zmq::message_t& message, zmq::send_flags flags = zmq::send_flags::none,
            std::optional<duration> timeout = std::nullopt);
  bool send(zmq::const_buffer data, zmq::send_flags flags = zmq::send_flags::none,
            std::optional<duration> timeout = std::nullopt);
  /// Receives one frame, parking until one arrives; none when `timeout` passed first.
  std::optional<std::size_t> recv(zmq::message_t& message,
                                  std::optional<duration> timeout = std::nullopt);
  /// Sends all `parts` as one message (all or nothing once the first part is accepted).
  bool send_multipart(std::vector<zmq::message_t>& parts,
                      std::optional<duration> timeout = std::nullopt);
  /// Receives every part of the next message; none when `timeout` passed first.
  std::optional<std::vector<zmq::message_t>> recv_multipart(
      std::optional<duration> timeout = std::nullopt);

 private:
  /// After an operation: wakes the other parked threads to look at ZMQ_EVENTS again.
  void notify_others();
  /// Tries `op` (a dontwait send or recv) until it succeeds, parking on the fd meanwhile while
  /// ZMQ_EVENTS lacks `event`; false when `timeout` passed first.
  template <class Op>
  bool with_retry(short event, std::optional<duration> timeout, const char* what, Op op);

  zmq::socket_t socket_;
  watched_fd fd_;  // after socket_: the watch stops before ZeroMQ closes its fd
  // Green threads in with_retry, per event (all park on the fd's read side).
  std::size_t waiting_to_recv_ = 0;
  std::size_t waiting_to_send_ = 0;
};

}  // namespace swarmlet::green
