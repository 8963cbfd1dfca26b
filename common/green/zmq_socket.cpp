#include "zmq_socket.hpp"

#include "retry.hpp"

namespace swarmlet::green {

zmq_socket::zmq_socket(zmq::context_t& context, zmq::socket_type type) : socket_(context, type) {
  socket_.set(zmq::sockopt::linger, 0);
  // ZeroMQ owns the fd: it is closed with the socket.
  fd_ = watched_fd(socket_.get(zmq::sockopt::fd), fd_ownership::borrowed);
}

zmq_socket::~zmq_socket() = default;

void zmq_socket::notify_others() {
  // The operation may have processed the commands whose signal the others were parked for, and
  // ZMQ_FD will not signal them again: they must look at ZMQ_EVENTS. Waking them does that once
  // per turn of theirs, however many operations ran meanwhile (a heartbeat round of a thousand
  // sends wakes the parked receiver once), where asking ZMQ_EVENTS here after every operation
  // cost two syscalls each (a poll of the fd and libzmq's fork check).
  fd_.watch().readers.wake_all();
}

template <class Op>
bool zmq_socket::with_retry(short event, std::optional<duration> timeout, const char* what, Op op) {
  const deadline until = deadline_after(timeout);
  const short other_way = event == ZMQ_POLLIN ? ZMQ_POLLOUT : ZMQ_POLLIN;
  const std::size_t& waiting_other_way = event == ZMQ_POLLIN ? waiting_to_send_ : waiting_to_recv_;
  // ZMQ_EVENTS processes the commands ZMQ_FD signalled, which may have been those a thread
  // parked the other way waits for: it is woken when it can go on now.
  const auto events = [&] {
    const int e = socket_.get(zmq::sockopt::events);
    if ((e & other_way) && waiting_other_way > 0) fd_.watch().readers.wake_all();
    return e;
  };
  const auto ready = [&] { return (events() & event) != 0; };
  // A dontwait recv that finds no message processes the pending commands first, unthrottled,
  // as ZMQ_EVENTS does; when it still fails it has drained them and the fd's signal, so
  // whatever happens later signals ZMQ_FD again. So a failed recv parks at once, and after a
  // wake-up the recv itself is the check (one poll of the fd fewer each). A dontwait send
  // processes commands only when its throttle allows (libzmq's socket_base_t::send): after a
  // failed send and after every wake-up, ZMQ_EVENTS says whether the next can succeed.
  const bool op_checks_commands = event == ZMQ_POLLIN;
  bool check_first = false;
  const auto try_once = [&]() -> io_attempt<bool> {
    for (;;) {
      if (check_first) {
        fd_.watch().readable = false;
        if (!ready()) return would_block{io_direction::read};
      }
      if (op()) return true;
      if (op_checks_commands) {
        if (waiting_other_way > 0) events();
        return would_block{io_direction::read};
      }
      check_first = true;
    }
  };
  std::size_t& waiting = event == ZMQ_POLLIN ? waiting_to_recv_ : waiting_to_send_;
  for (;;) {
    std::optional<bool> done;
    ++waiting;  // only parked threads can see it: notify_others runs after the decrement
    try {
      done = retry_io(fd_, until, what, try_once);
    } catch (...) {
      --waiting;
      throw;
    }
    --waiting;
    if (done) {
      notify_others();
      return true;
    }
    // The deadline passed: one more try if ZMQ_EVENTS says it can succeed.
    if (!ready()) return false;
    check_first = false;
  }
}

bool zmq_socket::send(zmq::message_t& message, zmq::send_flags flags,
                      std::optional<duration> timeout) {
  return with_retry(ZMQ_POLLOUT, timeout, "zmq send", [&] {
    return socket_.send(message, flags | zmq::send_flags::dontwait).has_value();
  });
}

bool zmq_socket::send(zmq::const_buffer data, zmq::send_flags flags,
                      std::optional<duration> timeout) {
  return with_retry(ZMQ_POLLOUT, timeout, "zmq send", [&] {
    return socket_.send(data, flags | zmq::send_flags::dontwait).has_value();
  });
}

std::optional<std::size_t> zmq_socket::recv(zmq::message_t& message,
                                            std::optional<duration> timeout) {
  std::optional<std::size_t> got;
  with_retry(ZMQ_POLLIN, timeout, "zmq recv", [&] {
    got = socket_.recv(message, zmq::recv_flags::dontwait);
    return got.has_value();
  });
  return got;
}

bool zmq_socket::send_multipart(std::vector<zmq::message_t>& parts,
                                std::optional<duration> timeout) {
  if (parts.empty()) return true;
  const auto more = [&](std::size_t i) {
    return i + 1 < parts.size() ? zmq::send_flags::sndmore : zmq::send_flags::none;
  };
  if (!send(parts[0], more(0), timeout)) return false;
  // Once the first part is queued the rest are accepted at once (messages are atomic).
  for (std::size_t i = 1; i < parts.size(); ++i) send(parts[i], more(i));
  return true;
}

std::optional<std::vector<zmq::message_t>> zmq_socket::recv_multipart(
    std::optional<duration> timeout) {
  std::vector<zmq::message_t> parts(1);
  if (!recv(parts[0], timeout)) return std::nullopt;
  while (parts.back().more()) {
    parts.emplace_back();
    recv(parts.back());
  }
  return parts;
}

}  // namespace swarmlet::green
