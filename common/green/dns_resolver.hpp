#pragma once
// Host names resolved without blocking the hub (getaddrinfo would stop every green thread of
// the OS thread while a name resolves): c-ares, with its sockets watched by this hub, one
// query per name however many green threads ask at once, and answers cached per hub thread as
// long as their TTL allows (bounded). /etc/hosts is read first, as libc does.
#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "clock.hpp"

namespace swarmlet::green {

/// Which of a name's addresses a new connection tries first (k6's dns.select), among those of
/// the family listed first that no connection failed to lately. The others follow, as
/// fallbacks: the other family's, then the addresses that failed.
enum class dns_select {
  round_robin,  ///< each connection the next address: load spread evenly over them
  first,        ///< the answer's first (getaddrinfo's order, as Locust and wrk connect)
  random,       ///< any, at random (k6's default)
};

struct dns_settings {
  /// Servers as "IP" or "IP:PORT" ("[IPv6]:PORT"); empty: the system's (/etc/resolv.conf).
  std::vector<std::string> servers;
  /// The longest an answer is reused, whatever its TTL says; zero: never reused.
  duration max_ttl = std::chrono::minutes(5);
  /// Names kept at most; past it, the answer closest to expiry makes room.
  std::size_t max_cached_names = 1024;
  dns_select select = dns_select::round_robin;
};

struct socket_address {
  sockaddr_storage storage{};
  socklen_t length = 0;
};

class dns_resolver {
 public:
  /// Throws std::invalid_argument naming a server c-ares refuses.
  explicit dns_resolver(dns_settings settings = {});
  ~dns_resolver();
  dns_resolver(const dns_resolver&) = delete;
  dns_resolver& operator=(const dns_resolver&) = delete;

  /// The addresses of the name `host`, each with `port`, in the order to try them (see
  /// dns_select; a cached answer turns for each call). Parks the calling green thread. Throws
  /// resolve_error ("resolve HOST: REASON") or, once `until` passes, resolve_error ("resolve
  /// HOST: no answer from the name servers in time").
  std::vector<socket_address> resolve(const std::string& host, std::uint16_t port, deadline until);
  /// A connection to `address` (and its port) of `host` failed (refused, unreachable, timed
  /// out): for failure_memory, while the answer is cached, it is tried after the name's other
  /// addresses. A server that drops connections would otherwise cost every connection that
  /// tries it first its share of the connect time.
  void connection_failed(const std::string& host, const socket_address& address);
  /// A connection to `address` of `host` opened: a failure it had is forgotten.
  void connected(const std::string& host, const socket_address& address);
  /// How long an address a connection failed to is tried last.
  static constexpr duration failure_memory = std::chrono::seconds(10);
  /// How long a query's first try waits for a server before the next server is asked (c-ares
  /// doubles it for each round over the servers: 1 + 2 + 4 + 8 s with one server).
  static constexpr std::chrono::milliseconds first_try_timeout{1000};

  /// Lookups that reached c-ares (a cached answer or a shared query does not count).
  std::uint64_t lookups() const noexcept { return lookups_; }
  /// Whether a lookup is in flight.
  bool busy() const noexcept { return !in_flight_.empty(); }

 private:
  struct query;
  struct watched_socket;
  /// An address of an answer, at a port, that a connection failed to lately.
  struct failure {
    std::size_t address = 0;  ///< its index in the answer
    std::uint16_t port = 0;
    time_point until;  ///< tried last until then
  };
  struct cached_answer {
    std::vector<socket_address> addresses;  ///< in the answer's order
    time_point expires;
    std::vector<failure> failures;  ///< a few at most: one per address and port
    /// round_robin: where the next call starts. Drawn at random when the answer comes, so
    /// that the hub threads (each has its resolver) do not all start at the first address.
    std::uint64_t turn = 0;
  };
  /// The cached answer's addresses, with `port`, in the order the next connection tries them.
  std::vector<socket_address> next_order(cached_answer& answer, std::uint16_t port);
  /// The cached answer of `host`, if any, and the index of `address` in it.
  std::pair<cached_answer*, std::size_t> find_address(const std::string& host,
                                                      const socket_address& address);
  static void on_socket_state(void* self, int fd, int readable, int writable);
  static void pump(dns_resolver* self, std::shared_ptr<watched_socket> socket, bool reading);
  std::shared_ptr<query> start(const std::string& name);
  void remember(const std::string& name, const query& answered);

  struct channel_deleter {
    void operator()(void* channel) const noexcept;
  };
  dns_settings settings_;
  std::unique_ptr<void, channel_deleter> channel_;
  std::unordered_map<int, std::shared_ptr<watched_socket>> sockets_;
  std::unordered_map<std::string, std::shared_ptr<query>> in_flight_;
  std::unordered_map<std::string, cached_answer> cache_;
  std::uint64_t lookups_ = 0;
  std::minstd_rand random_{std::random_device{}()};  ///< dns_select::random
};

/// This hub thread's resolver (made with the settings of the last configure_dns, or the
/// system's). Throws hub_misuse outside a hub.
dns_resolver& hub_dns_resolver();
/// Gives this hub thread a resolver with `settings` (its cache starts empty). Throws hub_misuse
/// while a lookup is in flight, std::invalid_argument for a server c-ares refuses.
void configure_dns(const dns_settings& settings);

}  // namespace swarmlet::green
