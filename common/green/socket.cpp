#include "socket.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <system_error>
#include <utility>
#include <vector>

#include "dns_resolver.hpp"
#include "errors.hpp"
#include "io_uring_backend.hpp"
#include "local_ports.hpp"
#include "retry.hpp"

namespace swarmlet::green {
namespace {

[[noreturn]] void throw_errno(int err, const std::string& what) {
  throw std::system_error(err, std::generic_category(), what);
}

struct addrinfo_list {
  addrinfo* head = nullptr;
  ~addrinfo_list() {
    if (head != nullptr) ::freeaddrinfo(head);
  }
};

/// Resolves a local address to listen on (a literal, empty or a name in /etc/hosts), with the
/// libc resolver. Throws resolve_error.
addrinfo_list resolve_local(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo_list out;
  const std::string service = std::to_string(port);
  const int rc =
      ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &out.head);
  // The resolver's own reason: errno means something only for EAI_SYSTEM.
  if (rc != 0)
    throw resolve_error("resolve " + host + ": " +
                        (rc == EAI_SYSTEM ? std::strerror(errno) : ::gai_strerror(rc)));
  return out;
}

int new_tcp_fd(int family) {
  const int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0 && (errno == EMFILE || errno == ENFILE))
    throw_errno(errno, std::string(no_descriptor_says));
  if (fd < 0) throw_errno(errno, "socket");
  return fd;
}

/// Whether a local address can reach `a`: a UDP socket's connect picks a route and a source
/// address but no port, so where it fails too, EADDRNOTAVAIL was not about ports (an IPv6
/// address where IPv6 is switched off, say).
bool reachable_from_here(const socket_address& a) {
  const int fd = ::socket(a.storage.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return true;  // nothing known against it
  const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&a.storage), a.length) == 0;
  ::close(fd);
  return ok;
}

void set_nodelay(int fd) {
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

std::string endpoint(const std::string& host, std::uint16_t port) {
  return host + ":" + std::to_string(port);
}

/// The address's IP, as text.
std::string address_text(const socket_address& a) {
  char text[INET6_ADDRSTRLEN] = {};
  if (a.storage.ss_family == AF_INET)
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(a.storage).sin_addr, text,
                sizeof text);
  else
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(a.storage).sin6_addr, text,
                sizeof text);
  return text;
}

}  // namespace

socket::socket(int fd, bool connected) : fd_(fd) {
  fd_.watch().writable = connected;
}

socket socket::listen(const std::string& host, std::uint16_t port, int backlog, bool reuse_port) {
  auto addrs = resolve_local(host, port);
  int last_error = EADDRNOTAVAIL;
  for (addrinfo* a = addrs.head; a != nullptr; a = a->ai_next) {
    const int fd = new_tcp_fd(a->ai_family);
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (reuse_port) ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, backlog) == 0)
      return socket(fd, false);
    last_error = errno;
    ::close(fd);
  }
  throw_errno(last_error, "listen on " + endpoint(host, port));
}

namespace {

/// A numeric host as an address (no lookup), or none for a name.
std::optional<socket_address> literal_address(const std::string& host, std::uint16_t port) {
  socket_address a;
  auto& v4 = reinterpret_cast<sockaddr_in&>(a.storage);
  auto& v6 = reinterpret_cast<sockaddr_in6&>(a.storage);
  std::string bare = host;
  if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']')
    bare = bare.substr(1, bare.size() - 2);
  if (::inet_pton(AF_INET, bare.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    v4.sin_port = htons(port);
    a.length = sizeof v4;
    return a;
  }
  if (::inet_pton(AF_INET6, bare.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(port);
    a.length = sizeof v6;
    return a;
  }
  return std::nullopt;
}

/// What each address did, grouped by outcome, the addresses in order and without repeats, a
/// few of each named: the resolver starts each connect at another address, and the failures
/// table groups by message, so the order of the tries made a row per starting point (and a
/// name with 4,000 addresses one per request, of 4 KB each).
std::string outcomes_text(const std::map<std::string, std::set<std::string>>& by_outcome) {
  constexpr std::size_t named = 4;
  std::string text;
  for (const auto& [what, addresses] : by_outcome) {
    if (!text.empty()) text += "; ";
    std::size_t n = 0;
    for (const std::string& a : addresses) {
      if (n == named) break;
      text += (n++ == 0 ? "" : ", ") + a;
    }
    if (addresses.size() > named)
      text += " and " + std::to_string(addresses.size() - named) + " more";
    text += ": " + what;
  }
  return text;
}

}  // namespace

socket socket::connect(const std::string& host, std::uint16_t port,
                       std::optional<duration> timeout) {
  const deadline until = deadline_after(timeout);
  // Literals never wait; a name goes to this hub's resolver, which parks only this thread.
  std::vector<socket_address> addrs;
  const auto literal = literal_address(host, port);
  const bool by_name = !literal;
  if (literal)
    addrs.push_back(*literal);
  else
    addrs = hub_dns_resolver().resolve(host, port, until);
  // A name's addresses are tried in turn, each with an even share of the time left but at least
  // 2 s of it (Go's dialer: a share shorter than a SYN's retransmission abandons a server that
  // dropped one), so that one that drops connection attempts leaves time for the next (QA:
  // with the first of two addresses silent, every request failed though the second served).
  // The resolver tries one that failed after the others for a while.
  constexpr duration least_share = std::chrono::seconds(2);
  int last_error = 0;  // of the last address, but a refusal outlives a client out of ports
  // EADDRNOTAVAIL at an address: out of local ports for it, or no local address reaches it.
  bool out_of_ports = false, unreachable_ipv6 = false;
  bool timed_out = false;
  // With several addresses, what each did, for the message.
  std::map<std::string, std::set<std::string>> outcomes;
  const auto failed = [&](const socket_address& a, std::string_view what, bool targets_fault) {
    if (!by_name) return;
    if (targets_fault) hub_dns_resolver().connection_failed(host, a);
    if (addrs.size() > 1) outcomes[std::string(what)].insert(address_text(a));
  };
  for (std::size_t i = 0; i < addrs.size(); ++i) {
    const socket_address& a = addrs[i];
    deadline attempt = until;
    if (until && i + 1 < addrs.size()) {
      const time_point now = clock::now();
      const duration left = *until - now;
      attempt =
          now + std::min(left, std::max(left / static_cast<int>(addrs.size() - i), least_share));
    }
    socket s(new_tcp_fd(a.storage.ss_family), false);
    set_nodelay(s.fd());
    // See local_ports.hpp: no scan past half the range. Where it would change nothing, no call.
    if (connects_pick_from_whole_range()) pick_port_from_whole_range(s.fd());
    int err = 0;
    if (::connect(s.fd(), reinterpret_cast<const sockaddr*>(&a.storage), a.length) == 0) {
      s.fd_.watch().writable = true;
    } else if (errno != EINPROGRESS) {
      err = errno;
    } else if (!retry_when_ready(s.fd_, io_direction::write, attempt, "connect",
                                 [] { return std::optional<bool>(true); })) {
      timed_out = true;
      failed(a, "timed out", true);
      continue;
    } else {
      // Connected (or failed) once writable.
      socklen_t len = sizeof err;
      ::getsockopt(s.fd(), SOL_SOCKET, SO_ERROR, &err, &len);
    }
    if (err == 0) {
      if (by_name) hub_dns_resolver().connected(host, a);
      return s;
    }
    // Said rather than a client out of ports (EADDRNOTAVAIL): with the target down, "refused"
    // is what to fix.
    if (err != EADDRNOTAVAIL || last_error == 0 || last_error == EADDRNOTAVAIL) last_error = err;
    if (err == EADDRNOTAVAIL) {
      if (reachable_from_here(a))
        out_of_ports = true;
      else if (a.storage.ss_family == AF_INET6)
        unreachable_ipv6 = true;
    }
    // Only what says the server, or the way to it, failed: a client out of ports
    // (EADDRNOTAVAIL) is not the address's fault.
    failed(a, std::strerror(err),
           err == ECONNREFUSED || err == ETIMEDOUT || err == EHOSTUNREACH || err == ENETUNREACH ||
               err == ECONNRESET);
  }
  const std::string where = "connect to " + endpoint(host, port);
  const std::string each = outcomes.empty() ? "" : " (" + outcomes_text(outcomes) + ")";
  // Timed out at one address and refused at the others: the timeout is what took the time.
  if (timed_out) throw operation_timed_out(where + " timed out" + each);
  if (last_error == 0) last_error = EHOSTUNREACH;
  if (last_error == EADDRNOTAVAIL) {
    // "Cannot assign requested address" says neither why nor what to do. It is also what an
    // address no local address reaches gets (IPv6 switched off, say).
    if (!out_of_ports)
      throw_errno(last_error,
                  where + each + " (no local address reaches it" +
                      (unreachable_ipv6 ? ": is IPv6 switched off on this machine?" : "") + ")");
    const auto range = local_port_range();
    const std::string ports = range ? " (" + to_string(*range) + ")" : "";
    throw no_local_port(last_error, std::generic_category(),
                        where + each + ": " + std::string(no_local_port::says) + ports +
                            " is free for another connection to that address");
  }
  throw_errno(last_error, where + each);
}

socket socket::accept() {
  const int listen_fd = fd();
  auto accepted = retry_when_ready(
      fd_, io_direction::read, next_call_deadline(), "accept", [&]() -> std::optional<socket> {
        for (;;) {
          const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (fd >= 0) {
            set_nodelay(fd);
            return socket(fd, true);
          }
          if (errno == EAGAIN || errno == EWOULDBLOCK) return std::nullopt;
          if (errno != EINTR && errno != ECONNABORTED) throw_errno(errno, "accept");
        }
      });
  if (!accepted) throw operation_timed_out("accept timed out");
  return std::move(*accepted);
}

std::size_t socket::recv(std::span<char> buffer) {
  // Read before the wait below: another green thread may set this socket's timeout meanwhile
  // (an HTTP/2 connection's writer, for its own stream).
  const call_deadline until = next_call_deadline();
  io_watch& w = fd_.watch();
  hub& h = fd_.home();
  h.before_read(w);
  if (w.uring != nullptr) {
    // On an io_uring hub: out of what the kernel already received into the ring's buffers.
    bool use_recv = false;
    const auto got = retry_io(fd_, until, "recv", [&]() -> io_attempt<std::size_t> {
      std::size_t n = 0;
      switch (w.uring->receive(w, buffer, n)) {
        case io_uring_backend::receive_status::received:
          return n;
        case io_uring_backend::receive_status::use_recv:
          use_recv = true;
          return std::size_t{0};
        case io_uring_backend::receive_status::would_block:
          break;
      }
      return would_block{io_direction::read};
    });
    if (!got) throw operation_timed_out("recv timed out");
    if (!use_recv) {
      h.after_read(w);
      return *got;
    }
  }
  const auto got =
      retry_when_ready(fd_, io_direction::read, until, "recv", [&]() -> std::optional<std::size_t> {
        for (;;) {
          const ssize_t n = ::recv(w.fd, buffer.data(), buffer.size(), 0);
          if (n > 0) {
            // A short read drained the socket: the next data arrives with a new
            // edge. Not so once the peer closed: its FIN may have come with this
            // data, and no edge follows.
            if (static_cast<std::size_t>(n) < buffer.size() && !w.hangup) w.readable = false;
            return static_cast<std::size_t>(n);
          }
          if (n == 0) return 0;  // end of stream stays readable
          if (errno == EAGAIN || errno == EWOULDBLOCK) return std::nullopt;
          if (errno != EINTR) throw_errno(errno, "recv");
        }
      });
  if (!got) throw operation_timed_out("recv timed out");
  h.after_read(w);
  return *got;
}

bool socket::input_pending() {
  io_watch& w = fd_.watch();
  if (w.uring != nullptr) {
    if (const auto held = w.uring->holds_input(w)) return *held;
  }
  if (!w.readable && !w.hangup) return false;
  char byte;
  for (;;) {
    const ssize_t n = ::recv(w.fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n >= 0) return true;  // a byte, or the end of the stream
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return true;  // an error the next read meets
    w.readable = false;
    return false;
  }
}

std::size_t socket::send(std::string_view data) {
  io_watch& w = fd_.watch();
  if (w.uring != nullptr) {
    // On an io_uring hub: queued, and sent with the hub's next submission.
    if (data.empty()) return 0;
    const auto taken =
        retry_io(fd_, next_call_deadline(), "send", [&]() -> io_attempt<std::size_t> {
          if (const std::size_t n = w.uring->queue_send(w, data); n > 0) return n;
          return would_block{io_direction::write};
        });
    if (!taken) throw operation_timed_out("send timed out");
    return *taken;
  }
  const auto sent = retry_when_ready(
      fd_, io_direction::write, next_call_deadline(), "send", [&]() -> std::optional<std::size_t> {
        for (;;) {
          const ssize_t n = ::send(w.fd, data.data(), data.size(), MSG_NOSIGNAL);
          if (n >= 0) {
            if (static_cast<std::size_t>(n) < data.size()) w.writable = false;
            return static_cast<std::size_t>(n);
          }
          if (errno == EAGAIN || errno == EWOULDBLOCK) return std::nullopt;
          if (errno != EINTR) throw_errno(errno, "send");
        }
      });
  if (!sent) throw operation_timed_out("send timed out");
  return *sent;
}

void socket::sendall(std::string_view data) {
  while (!data.empty()) data.remove_prefix(send(data));
}

void socket::shutdown(int how) {
  io_watch& w = fd_.watch();
  if (w.uring != nullptr && how != SHUT_RD) {
    // Queued sends go first, or the peer would see the end before the data.
    const auto sent = retry_io(fd_, next_call_deadline(), "shutdown", [&]() -> io_attempt<bool> {
      if (w.uring->sending(w)) return would_block{io_direction::write};
      return true;
    });
    if (!sent) throw operation_timed_out("shutdown timed out waiting for queued sends");
  }
  if (::shutdown(fd(), how) != 0 && errno != ENOTCONN) throw_errno(errno, "shutdown");
}

std::uint16_t socket::local_port() const {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd(), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw_errno(errno, "getsockname");
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
}

}  // namespace swarmlet::green
