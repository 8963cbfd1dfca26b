#include "dns_resolver.hpp"

#include <ares.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <system_error>

#include "errors.hpp"
#include "hub.hpp"
#include "operations.hpp"
#include "wait_list.hpp"
#include "watched_fd.hpp"

namespace swarmlet::green {

/// One lookup in flight; every green thread asking for the same name waits on it.
struct dns_resolver::query {
  std::string name;
  wait_list waiters;
  bool done = false;
  int status = ARES_SUCCESS;
  std::vector<socket_address> addresses;  ///< port 0; the caller's port is set on its copy
  int ttl_seconds = 0;
};

/// A socket of c-ares's, watched by this hub while c-ares wants to hear of it.
struct dns_resolver::watched_socket {
  watched_fd fd;
  bool want_read = false, want_write = false;
  bool reader_running = false, writer_running = false;
  bool closed = false;
};

namespace {

ares_channel as_channel(void* c) {
  return static_cast<ares_channel>(c);
}

void init_library_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (const int rc = ::ares_library_init(ARES_LIB_INIT_ALL); rc != ARES_SUCCESS)
      throw std::runtime_error(std::string("c-ares: ") + ::ares_strerror(rc));
  });
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void set_port(socket_address& a, std::uint16_t port) {
  if (a.storage.ss_family == AF_INET)
    reinterpret_cast<sockaddr_in&>(a.storage).sin_port = htons(port);
  else
    reinterpret_cast<sockaddr_in6&>(a.storage).sin6_port = htons(port);
}

std::string joined(const std::vector<std::string>& servers) {
  std::string csv;
  for (const auto& s : servers) csv += (csv.empty() ? "" : ",") + s;
  return csv;
}

}  // namespace

void dns_resolver::channel_deleter::operator()(void* channel) const noexcept {
  ::ares_destroy(as_channel(channel));
}

dns_resolver::dns_resolver(dns_settings settings) : settings_(std::move(settings)) {
  init_library_once();
  ares_options options{};
  options.sock_state_cb = &dns_resolver::on_socket_state;
  options.sock_state_cb_data = this;
  // The first try's wait for an answer (doubled for each round of the servers): c-ares's 5 s
  // default is what a lookup took whenever the first server was down, even one that refused
  // at once: c-ares sends the A and AAAA queries on one connected UDP socket, the AAAA's send
  // takes the ICMP refusal of the A's, and the A waits out its timeout before the next server
  // is asked (glibc and Go ask it at once). Past a connect_timeout shorter than that, every
  // request to a name failed though the second server answered.
  options.timeout = static_cast<int>(first_try_timeout.count());
  ares_channel channel = nullptr;
  if (const int rc =
          ::ares_init_options(&channel, &options, ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS);
      rc != ARES_SUCCESS)
    throw std::runtime_error(std::string("DNS resolver: ") + ::ares_strerror(rc));
  channel_.reset(channel);
  if (!settings_.servers.empty()) {
    if (const int rc = ::ares_set_servers_ports_csv(channel, joined(settings_.servers).c_str());
        rc != ARES_SUCCESS)
      throw std::invalid_argument("DNS servers " + joined(settings_.servers) + ": " +
                                  ::ares_strerror(rc));
  }
}

dns_resolver::~dns_resolver() {
  // c-ares answers what is in flight with ARES_EDESTRUCTION and closes its sockets (through
  // on_socket_state) before the maps go.
  channel_.reset();
}

void dns_resolver::on_socket_state(void* self_ptr, int fd, int readable, int writable) {
  auto* self = static_cast<dns_resolver*>(self_ptr);
  auto it = self->sockets_.find(fd);
  if (readable == 0 && writable == 0) {
    // c-ares is about to close it: stop watching first (its pumps see EBADF and end).
    if (it != self->sockets_.end()) {
      it->second->closed = true;
      it->second->fd.reset();
      self->sockets_.erase(it);
    }
    return;
  }
  if (it == self->sockets_.end()) {
    auto s = std::make_shared<watched_socket>();
    s->fd = watched_fd(hub::get(), fd, fd_ownership::borrowed);
    it = self->sockets_.emplace(fd, std::move(s)).first;
  }
  const auto& s = it->second;
  s->want_read = readable != 0;
  s->want_write = writable != 0;
  if (s->want_read && !s->reader_running) {
    s->reader_running = true;
    spawn_n(&dns_resolver::pump, self, s, true);
  }
  if (s->want_write && !s->writer_running) {
    s->writer_running = true;
    spawn_n(&dns_resolver::pump, self, s, false);
  }
}

// A green thread per socket and direction c-ares wants: parks until the hub says the socket
// is ready, then lets c-ares read (or write) it. Ends when c-ares no longer wants it.
void dns_resolver::pump(dns_resolver* self, std::shared_ptr<watched_socket> s, bool reading) {
  const io_direction d = reading ? io_direction::read : io_direction::write;
  bool& running = reading ? s->reader_running : s->writer_running;
  try {
    while (!s->closed && (reading ? s->want_read : s->want_write)) {
      io_watch& w = s->fd.watch();
      if (!w.ready_flag(d)) {
        hub::get().wait_io(w, d, std::nullopt, "resolve");
        continue;
      }
      const int fd = w.fd;
      ::ares_process_fd(as_channel(self->channel_.get()), reading ? fd : ARES_SOCKET_BAD,
                        reading ? ARES_SOCKET_BAD : fd);
      if (s->closed) break;
      if (reading) {
        // c-ares may leave datagrams queued; the flag stays set while any are.
        char byte;
        const auto n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) w.readable = false;
      } else {
        w.writable = false;  // still wanted: c-ares could not write it all
      }
    }
  } catch (const std::system_error&) {
    // The watch stopped: c-ares closed the socket.
  }
  running = false;
}

std::shared_ptr<dns_resolver::query> dns_resolver::start(const std::string& name) {
  auto q = std::make_shared<query>();
  q->name = name;
  in_flight_.emplace(name, q);
  ++lookups_;
  ares_addrinfo_hints hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  struct answer_to {
    dns_resolver* self;
    std::shared_ptr<query> q;
  };
  auto* arg = new answer_to{this, q};
  // May answer at once (a name in /etc/hosts), before it returns.
  ::ares_getaddrinfo(
      as_channel(channel_.get()), name.c_str(), nullptr, &hints,
      [](void* a, int status, int /*timeouts*/, ares_addrinfo* result) {
        std::unique_ptr<answer_to> to(static_cast<answer_to*>(a));
        query& q = *to->q;
        q.status = status;
        if (result != nullptr) {
          int ttl = -1;
          for (ares_addrinfo_node* n = result->nodes; n != nullptr; n = n->ai_next) {
            socket_address addr;
            addr.length =
                static_cast<socklen_t>(std::min<std::size_t>(n->ai_addrlen, sizeof addr.storage));
            std::memcpy(&addr.storage, n->ai_addr, addr.length);
            q.addresses.push_back(addr);
            ttl = ttl < 0 ? n->ai_ttl : std::min(ttl, n->ai_ttl);
          }
          q.ttl_seconds = std::max(ttl, 0);
          ::ares_freeaddrinfo(result);
        }
        q.done = true;
        if (status != ARES_EDESTRUCTION) {
          to->self->in_flight_.erase(q.name);
          if (status == ARES_SUCCESS && !q.addresses.empty()) to->self->remember(q.name, q);
        }
        q.waiters.wake_all();
      },
      arg);
  return q;
}

void dns_resolver::remember(const std::string& name, const query& answered) {
  const auto ttl =
      std::min<duration>(std::chrono::seconds(answered.ttl_seconds), settings_.max_ttl);
  if (ttl <= duration::zero() || settings_.max_cached_names == 0) return;
  const time_point now = clock::now();
  if (cache_.size() >= settings_.max_cached_names) {
    std::erase_if(cache_, [&](const auto& entry) { return entry.second.expires <= now; });
    if (cache_.size() >= settings_.max_cached_names) {
      cache_.erase(std::min_element(cache_.begin(), cache_.end(), [](const auto& a, const auto& b) {
        return a.second.expires < b.second.expires;
      }));
    }
  }
  cache_[name] = cached_answer{answered.addresses, now + ttl, {}, random_()};
}

namespace {

bool same_address(const socket_address& a, const socket_address& b) {
  if (a.storage.ss_family != b.storage.ss_family) return false;
  if (a.storage.ss_family == AF_INET)
    return reinterpret_cast<const sockaddr_in&>(a.storage).sin_addr.s_addr ==
           reinterpret_cast<const sockaddr_in&>(b.storage).sin_addr.s_addr;
  return std::memcmp(&reinterpret_cast<const sockaddr_in6&>(a.storage).sin6_addr,
                     &reinterpret_cast<const sockaddr_in6&>(b.storage).sin6_addr,
                     sizeof(in6_addr)) == 0;
}

std::uint16_t port_of(const socket_address& a) {
  return ntohs(a.storage.ss_family == AF_INET
                   ? reinterpret_cast<const sockaddr_in&>(a.storage).sin_port
                   : reinterpret_cast<const sockaddr_in6&>(a.storage).sin6_port);
}

}  // namespace

std::vector<socket_address> dns_resolver::next_order(cached_answer& answer, std::uint16_t port) {
  const time_point now = clock::now();
  std::erase_if(answer.failures, [now](const failure& f) { return f.until <= now; });
  const auto failed = [&](std::size_t i) {
    return std::any_of(answer.failures.begin(), answer.failures.end(),
                       [&](const failure& f) { return f.address == i && f.port == port; });
  };
  std::vector<std::size_t> healthy, behind;
  for (std::size_t i = 0; i < answer.addresses.size(); ++i)
    (failed(i) ? behind : healthy).push_back(i);
  // Every address failed: none is behind another, each gets its turn again.
  if (healthy.empty()) healthy.swap(behind);
  // The family listed first (RFC 6724: IPv6 where it is routed) among the healthy ones is the
  // one spread over: once a name's IPv6 address fails, its IPv4 ones take turns (review).
  const auto family = answer.addresses[healthy.front()].storage.ss_family;
  const auto others = std::stable_partition(healthy.begin(), healthy.end(), [&](std::size_t i) {
    return answer.addresses[i].storage.ss_family == family;
  });
  const auto spread = static_cast<std::size_t>(others - healthy.begin());
  std::size_t start = 0;
  if (settings_.select == dns_select::round_robin)
    start = static_cast<std::size_t>(answer.turn++ % spread);
  else if (settings_.select == dns_select::random)
    start = std::uniform_int_distribution<std::size_t>(0, spread - 1)(random_);
  std::rotate(healthy.begin(), healthy.begin() + static_cast<std::ptrdiff_t>(start), others);
  std::vector<socket_address> out;
  out.reserve(answer.addresses.size());
  for (const std::size_t i : healthy) out.push_back(answer.addresses[i]);
  for (const std::size_t i : behind) out.push_back(answer.addresses[i]);
  return out;
}

std::pair<dns_resolver::cached_answer*, std::size_t> dns_resolver::find_address(
    const std::string& host, const socket_address& address) {
  const auto hit = cache_.find(lower(host));
  if (hit == cache_.end()) return {nullptr, 0};
  const auto& all = hit->second.addresses;
  for (std::size_t i = 0; i < all.size(); ++i)
    if (same_address(all[i], address)) return {&hit->second, i};
  return {nullptr, 0};
}

void dns_resolver::connection_failed(const std::string& host, const socket_address& address) {
  const auto [answer, i] = find_address(host, address);
  if (answer == nullptr) return;
  const std::uint16_t port = port_of(address);
  const time_point until = clock::now() + failure_memory;
  for (failure& f : answer->failures)
    if (f.address == i && f.port == port) {
      f.until = until;
      return;
    }
  answer->failures.push_back({i, port, until});
}

void dns_resolver::connected(const std::string& host, const socket_address& address) {
  if (cache_.empty()) return;
  // Not a structured binding: clang does not let a lambda capture one (C++20).
  const auto found = find_address(host, address);
  cached_answer* answer = found.first;
  const std::size_t i = found.second;
  if (answer == nullptr || answer->failures.empty()) return;
  const std::uint16_t port = port_of(address);
  std::erase_if(answer->failures,
                [&](const failure& f) { return f.address == i && f.port == port; });
}

std::vector<socket_address> dns_resolver::resolve(const std::string& host, std::uint16_t port,
                                                  deadline until) {
  const std::string name = lower(host);
  std::vector<socket_address> out;
  if (auto hit = cache_.find(name); hit != cache_.end()) {
    if (hit->second.expires > clock::now()) {
      out = next_order(hit->second, port);
    } else {
      cache_.erase(hit);
    }
  }
  if (out.empty()) {
    auto found = in_flight_.find(name);
    const std::shared_ptr<query> q = found != in_flight_.end() ? found->second : start(name);
    while (!q->done) {
      // c-ares retries and gives up on its own clock: wake for its next timeout too.
      timeval tv{};
      const time_point now = clock::now();
      deadline wake = until;
      if (::ares_timeout(as_channel(channel_.get()), nullptr, &tv) != nullptr) {
        const time_point retry =
            now + std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec);
        if (!wake || retry < *wake) wake = retry;
      }
      if (hub::get().park(q->waiters, wake, "resolve") || q->done) continue;
      // A resolve error, not a timeout of the connect that asked: "connect to ... timed out"
      // sent the user looking at the target when its name server was silent.
      if (until && clock::now() >= *until)
        throw resolve_error("resolve " + host + ": no answer from the name servers in time");
      ::ares_process_fd(as_channel(channel_.get()), ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    }
    if (q->status != ARES_SUCCESS) {
      // c-ares reports every server answering SERVFAIL or REFUSED as ECONNREFUSED ("Could not
      // contact DNS servers"), though they answered.
      // c-ares giving up on a silent server says what the connect's deadline says: one cause,
      // one error row (a user that joined a query others had waited on got c-ares's words).
      const std::string why =
          q->status == ARES_ECONNREFUSED ? "the name servers answered with a failure (SERVFAIL or "
                                           "REFUSED) or refused the connection"
          : q->status == ARES_ETIMEOUT   ? "no answer from the name servers in time"
                                         : ::ares_strerror(q->status);
      throw resolve_error("resolve " + host + ": " + why);
    }
    if (q->addresses.empty()) throw resolve_error("resolve " + host + ": no address");
    // Remembered (unless its TTL or max_ttl is 0): the answer's turns start with this call.
    const auto cached = cache_.find(name);
    out = cached != cache_.end() ? next_order(cached->second, port) : q->addresses;
  }
  for (auto& a : out) set_port(a, port);
  return out;
}

namespace {
/// The resolver of one hub, replaced by configure_dns.
struct dns_service {
  std::unique_ptr<dns_resolver> resolver;
};
}  // namespace

dns_resolver& hub_dns_resolver() {
  auto& service = hub::get().local<dns_service>();
  if (!service.resolver) service.resolver = std::make_unique<dns_resolver>();
  return *service.resolver;
}

void configure_dns(const dns_settings& settings) {
  auto& service = hub::get().local<dns_service>();
  if (service.resolver && service.resolver->busy())
    throw hub_misuse("configure_dns while names are being resolved on this hub");
  service.resolver = std::make_unique<dns_resolver>(settings);
}

}  // namespace swarmlet::green
