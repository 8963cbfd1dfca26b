#pragma once
// eventlet's green socket: blocking-looking TCP calls that park the green thread instead of
// the OS thread. The fd is registered with the hub once, for its whole life; calls try the
// syscall only when the readiness flag says it can succeed (see io_watch).
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "clock.hpp"
#include "stream.hpp"
#include "watched_fd.hpp"

namespace swarmlet::green {

class socket final : public stream {
 public:
  /// No socket (valid() is false).
  socket() = default;
  /// Adopts a non-blocking fd: registers it with this thread's hub (see watched_fd).
  socket(int fd, bool connected);
  socket(socket&& other) noexcept = default;
  /// Closes this socket and takes `other`'s.
  socket& operator=(socket&& other) noexcept = default;
  ~socket() override = default;

  /// A listening TCP socket on host:port (port 0 picks a free one: see local_port()).
  /// Host is an IPv4/IPv6 literal or a name. With `reuse_port`, several sockets (one per
  /// thread) may listen on the same port and the kernel spreads connections over them.
  /// Throws std::system_error, or resolve_error for a name that does not resolve.
  static socket listen(const std::string& host, std::uint16_t port, int backlog = 1024,
                       bool reuse_port = false);
  /// Connects to host:port, parking until connected. Throws std::system_error (e.g. refused),
  /// resolve_error for a name that does not resolve, or operation_timed_out after `timeout`.
  static socket connect(const std::string& host, std::uint16_t port,
                        std::optional<duration> timeout = std::nullopt);

  /// Parks until a connection arrives; the new socket has TCP_NODELAY set.
  socket accept();
  /// Parks until data arrives; returns how many bytes were read, 0 once the peer closed.
  std::size_t recv(std::span<char> buffer);
  /// Whether bytes, the peer's close or an error arrived that no read took, without parking:
  /// what the hub recorded first (no syscall while it saw nothing arrive), then a peek. For a
  /// connection kept idle between requests. Where the hub polls only sockets a thread waits on
  /// (poll, select), an idle socket's arrivals show only once a read left it readable.
  bool input_pending();
  /// Parks until some of `data` can be written; returns how many bytes were. On an io_uring
  /// hub, "written" is "queued for the hub's next submission": an error of that send (EPIPE,
  /// ECONNRESET) is thrown by a later send, as TCP reports a reset on a later write anyway.
  std::size_t send(std::string_view data);
  /// Sends every byte of `data`.
  void sendall(std::string_view data);
  /// SHUT_RD, SHUT_WR or SHUT_RDWR. With SHUT_WR, parks until queued sends are out (io_uring).
  void shutdown(int how);
  /// Closes the fd; green threads parked on it get std::system_error(EBADF). Idempotent.
  void close() noexcept { fd_.reset(); }

  /// A limit for every later blocking call (eventlet's settimeout); none: block for ever.
  /// An expired call throws operation_timed_out. Clears a deadline set_deadline gave.
  void set_timeout(std::optional<duration> timeout) noexcept {
    timeout_ = timeout;
    deadline_.reset();
  }
  std::optional<duration> timeout() const noexcept { return timeout_; }
  /// One fixed deadline for every later blocking call, until set_timeout: a bound on a whole
  /// exchange of several calls (a request's send and reads) that costs no clock read per call.
  void set_deadline(time_point until) noexcept { deadline_ = until; }

  /// The deadline of one blocking call, as retry_io asks for it before each park: the fixed
  /// deadline, else the timeout counted from the call's first park. A call that never parks
  /// (most sends, and reads whose data is in) never reads the clock.
  class call_deadline {
   public:
    call_deadline(std::optional<duration> timeout, deadline fixed) noexcept
        : timeout_(timeout), until_(fixed) {}
    deadline operator()() const {
      if (!until_ && timeout_) until_ = clock::now() + *timeout_;
      return until_;
    }

   private:
    std::optional<duration> timeout_;
    mutable deadline until_;
  };
  call_deadline next_call_deadline() const noexcept { return {timeout_, deadline_}; }

  bool valid() const noexcept { return fd_.valid(); }
  int fd() const noexcept { return fd_.fd(); }
  /// The fd and its hub, for layers built on the socket (TLS). Only when valid().
  watched_fd_ref watched() const noexcept { return fd_; }
  std::uint16_t local_port() const;

  std::size_t read_some(std::span<char> buffer) override { return recv(buffer); }
  void write_all(std::string_view data) override { sendall(data); }

 private:
  watched_fd fd_;
  std::optional<duration> timeout_;
  deadline deadline_;
};

}  // namespace swarmlet::green
