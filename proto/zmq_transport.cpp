#include "zmq_transport.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <vector>

#include "common/green/operations.hpp"

namespace swarmlet::proto {
namespace {

/// No frame from outside may be larger than a scenario with its data files could be.
constexpr std::int64_t max_frame_bytes = std::int64_t{64} << 20;
/// How long a control message may wait for its peer before it is stale and dropped.
constexpr std::chrono::milliseconds master_send_timeout{100};
constexpr std::chrono::milliseconds worker_send_timeout{200};
/// ZeroMQ's reconnection back-off while the master is away.
constexpr int reconnect_ivl_ms = 100;
constexpr int reconnect_ivl_max_ms = 1000;  // a worker started first joins within a second
/// On close, how long the final report may take to leave.
constexpr int stats_linger_ms = 2000;
/// How long the master lets messages gather once it has taken all there were (see gathered).
constexpr std::chrono::milliseconds gather_pause{10};

/// The key ZAP admitted the frame's connection with (its "User-Id"), or "" without ZAP.
std::string key_of(const zmq::message_t& frame) {
  const char* key = zmq_msg_gets(frame.handle(), "User-Id");
  return key == nullptr ? std::string() : std::string(key);
}

received decoded(std::string peer, const zmq::message_t& frame) {
  return {std::move(peer), decode(frame.data(), frame.size()), key_of(frame)};
}

received bad(std::string peer, std::string reason) {
  return {std::move(peer), decode_error{std::move(reason)}, {}};
}

/// The master's receive on a plane: `recv(timeout)` is the socket's. Reports and heartbeats come
/// one per worker and second each, spread over the second. Taken as they come, each costs a
/// wake of the master's thread and a signal to it from ZeroMQ's I/O thread, about as much as
/// reading a report. Once the socket has run dry a short pause lets the next ones gather in
/// ZeroMQ's queues, and one wake takes them all. A message that ends a quiet spell is taken at
/// once, and none waits longer than the pause for it.
template <class Recv>
auto gathered(Recv recv) {
  if (auto got = recv(std::chrono::milliseconds(0))) return got;
  green::sleep(gather_pause);
  return recv(std::nullopt);
}

}  // namespace

zmq_master_transport::zmq_master_transport(zmq::context_t& context,
                                           const zmq_master_options& options)
    : control_(context, zmq::socket_type::router), stats_(context, zmq::socket_type::pull) {
  control_.raw().set(zmq::sockopt::router_handover, 1);  // a reconnecting worker takes its id back
  for (auto* s : {&control_, &stats_}) {
    s->raw().set(zmq::sockopt::maxmsgsize, max_frame_bytes);
    // Off by default in ZeroMQ: an IPv6 address would not bind. Only for one (`::` then takes
    // IPv4 too, where the system maps it): on, an IPv4 address is named as IPv6 (::ffff:...).
    if (options.bind.find(':') != std::string::npos) s->raw().set(zmq::sockopt::ipv6, 1);
    if (options.curve) {
      s->raw().set(zmq::sockopt::curve_server, 1);
      s->raw().set(zmq::sockopt::curve_secretkey, options.curve->secret_key);
    }
  }
  // An IPv6 address goes in brackets, as in a URL.
  const std::string host =
      options.bind.find(':') != std::string::npos && options.bind.front() != '['
          ? "[" + options.bind + "]"
          : options.bind;
  auto endpoint = [&](int port) {
    return "tcp://" + host + ":" + (port == 0 ? std::string("*") : std::to_string(port));
  };
  // Which of the two ports is taken: the user is sent after that one.
  auto bind = [&](green::zmq_socket& socket, int port, const char* which) {
    try {
      socket.bind(endpoint(port));
    } catch (const zmq::error_t& e) {
      throw bind_error(host + ":" + std::to_string(port) + " (the " + which +
                       " port): " + e.what());
    }
  };
  bind(control_, options.control_port, "control");
  bind(stats_, options.stats_port, "stats");
}

received zmq_master_transport::receive_control() {
  for (;;) {
    auto parts = gathered([&](auto timeout) { return control_.recv_multipart(timeout); });
    if (!parts) continue;
    if (parts->size() != 2)
      return bad("",
                 "expected [identity, message], got " + std::to_string(parts->size()) + " frames");
    return decoded((*parts)[0].to_string(), (*parts)[1]);
  }
}

std::variant<stats_bytes, decode_error> zmq_master_transport::receive_stats() {
  for (;;) {
    zmq::message_t frame;
    if (!gathered([&](auto timeout) { return stats_.recv(frame, timeout); })) continue;
    if (!frame.more()) return stats_bytes{frame.to_string(), key_of(frame)};
    // Stats are one frame: drain and drop the rest of this message.
    while (frame.more()) stats_.recv(frame);
    return decode_error{"stats message of several frames"};
  }
}

bool zmq_master_transport::send(const std::string& worker, const message& m) {
  std::vector<zmq::message_t> parts;
  parts.emplace_back(worker.data(), worker.size());
  const std::string bytes = encode(m);
  parts.emplace_back(bytes.data(), bytes.size());
  return control_.send_multipart(parts, master_send_timeout);
}

int zmq_master_transport::stats_port() const {
  const std::string endpoint = stats_.last_endpoint();
  return std::stoi(endpoint.substr(endpoint.rfind(':') + 1));
}

namespace {

bool resolves_in(const std::string& host, int family) {
  addrinfo hints{};
  hints.ai_family = family;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0) return false;
  freeaddrinfo(found);
  return true;
}

}  // namespace

bool dials_ipv6(const std::string& endpoint) {
  const auto from = endpoint.find("://");
  const auto to = endpoint.rfind(':');
  if (from == std::string::npos || to == std::string::npos || to <= from + 3) return false;
  const std::string host = endpoint.substr(from + 3, to - from - 3);
  if (host.starts_with('[')) return true;
  // Looked up once, at start; ZeroMQ resolves the name again on each reconnect. A name with
  // no address yet (a master's service not up) dials IPv6, which ZeroMQ asks for with IPv4
  // addresses mapped in: it reaches the master whichever family the name gets.
  if (resolves_in(host, AF_INET)) return false;
  return true;
}

zmq_worker_transport::zmq_worker_transport(zmq::context_t& context, zmq_worker_options options)
    : options_(std::move(options)),
      control_(context, zmq::socket_type::dealer),
      stats_(context, zmq::socket_type::push) {
  control_.raw().set(zmq::sockopt::routing_id, options_.worker_id);
  // Control messages are only worth sending to a live connection: heartbeats and hellos queued
  // while the master is away would arrive stale.
  control_.raw().set(zmq::sockopt::immediate, 1);
  const bool ipv6 = dials_ipv6(options_.control_endpoint);
  for (auto* s : {&control_, &stats_}) {
    s->raw().set(zmq::sockopt::ipv6, ipv6 ? 1 : 0);
    s->raw().set(zmq::sockopt::reconnect_ivl, reconnect_ivl_ms);
    s->raw().set(zmq::sockopt::reconnect_ivl_max, reconnect_ivl_max_ms);
    if (options_.curve) {
      s->raw().set(zmq::sockopt::curve_serverkey, options_.curve->master_public_key);
      s->raw().set(zmq::sockopt::curve_publickey, options_.curve->own.public_key);
      s->raw().set(zmq::sockopt::curve_secretkey, options_.curve->own.secret_key);
    }
  }
  control_.connect(options_.control_endpoint);
  stats_.raw().set(zmq::sockopt::linger, stats_linger_ms);
  if (!options_.stats_endpoint.empty()) connect_stats(options_.stats_endpoint);
}

void zmq_worker_transport::connect_stats(const std::string& endpoint) {
  if (endpoint == stats_connected_) return;
  if (!stats_connected_.empty()) stats_.raw().disconnect(stats_connected_);
  stats_.connect(endpoint);
  stats_connected_ = endpoint;
}

received zmq_worker_transport::receive() {
  for (;;) {
    auto parts = control_.recv_multipart();
    if (!parts) continue;
    if (parts->size() != 1)
      return bad("master", "expected one frame, got " + std::to_string(parts->size()));
    return decoded("master", (*parts)[0]);
  }
}

bool zmq_worker_transport::send(const message& m) {
  const std::string bytes = encode(m);
  return control_.send(zmq::buffer(bytes), zmq::send_flags::none, worker_send_timeout);
}

void zmq_worker_transport::push_stats(std::string frame) {
  // Parks (this green thread only) at the high-water mark: stats wait rather than vanish.
  stats_.send(zmq::buffer(frame));
}

void zmq_worker_transport::use_stats_port(int port) {
  // A stats endpoint given up front (--stats-port) wins over the welcome's.
  if (!options_.stats_endpoint.empty() || port <= 0) return;
  const auto& control = options_.control_endpoint;
  connect_stats(control.substr(0, control.rfind(':') + 1) + std::to_string(port));
}

}  // namespace swarmlet::proto
