#include "control_server.hpp"

#include <fmt/format.h>

#include <ostream>

#include "common/green/operations.hpp"

namespace swarmlet::master {

/// A registered worker as the test runner sees it: commands go out over the ROUTER.
class control_server::remote_worker final : public proto::worker_control {
 public:
  remote_worker(control_server& server, std::string id) : server_(server), id_(std::move(id)) {}
  void spawn(const proto::spawn_command& command) override {
    server_.send_to(id_, proto::make_message(proto::message_type::spawn, "master", command));
  }
  void stop(std::uint64_t run_id) override {
    server_.send_to(
        id_, proto::make_message(proto::message_type::stop, "master", proto::stop_payload{run_id}));
  }

 private:
  control_server& server_;
  std::string id_;
};

control_server::control_server(zmq::context_t& context, control_options options,
                               proto::welcome_payload welcome, std::ostream* log)
    : options_(std::move(options)),
      welcome_(std::move(welcome)),
      log_(log),
      control_(context, zmq::socket_type::router),
      stats_(context, zmq::socket_type::pull) {
  control_.raw().set(zmq::sockopt::router_handover, 1);  // a reconnecting worker takes its id back
  // No frame from outside may be larger than a scenario with its data files could be.
  control_.raw().set(zmq::sockopt::maxmsgsize, std::int64_t{64} << 20);
  stats_.raw().set(zmq::sockopt::maxmsgsize, std::int64_t{64} << 20);
  if (options_.curve) {
    for (auto* s : {&control_, &stats_}) {
      s->raw().set(zmq::sockopt::curve_server, 1);
      s->raw().set(zmq::sockopt::curve_secretkey, options_.curve->secret_key);
    }
  }
  auto endpoint = [&](int port) {
    return "tcp://" + options_.bind + ":" + (port == 0 ? std::string("*") : std::to_string(port));
  };
  control_.bind(endpoint(options_.control_port));
  stats_.bind(endpoint(options_.stats_port));
  stamp(welcome_);
  control_thread_ = green::spawn([this] { control_loop(); });
  stats_thread_ = green::spawn([this] { stats_loop(); });
  heartbeat_thread_ = green::spawn([this] { heartbeat_loop(); });
}

control_server::~control_server() {
  control_thread_.kill();
  stats_thread_.kill();
  heartbeat_thread_.kill();
}

void control_server::log(const std::string& line) {
  if (log_ != nullptr) *log_ << "swarmlet master: " << line << std::endl;
}

void control_server::bad_frame(const std::string& peer, const std::string& reason) {
  ++bad_frames_;
  // The first few are worth a line each; after that, only the count (in the summary).
  if (bad_frames_ <= 5)
    log("dropped a bad frame from " + (peer.empty() ? std::string("a peer") : "'" + peer + "'") +
        ": " + reason);
}

void control_server::send_to(const std::string& identity, const proto::message& m) {
  std::vector<zmq::message_t> parts;
  parts.emplace_back(identity.data(), identity.size());
  const std::string bytes = proto::encode(m);
  parts.emplace_back(bytes.data(), bytes.size());
  control_.send_multipart(parts, std::chrono::milliseconds(100));
}

void control_server::attach(test_runner& runner) {
  runner_ = &runner;
  for (const auto* w : registry_.ready_workers())
    runner.add_worker(*remotes_.at(w->id), w->id, w->threads);
}

void control_server::stamp(proto::welcome_payload& welcome) const {
  welcome.heartbeat_interval_ms = static_cast<int>(options_.heartbeat_interval.count());
  const std::string stats = stats_.last_endpoint();
  welcome.stats_port = std::stoi(stats.substr(stats.rfind(':') + 1));
}

void control_server::set_welcome(proto::welcome_payload welcome) {
  stamp(welcome);
  welcome_ = std::move(welcome);
  for (const auto* w : registry_.ready_workers())
    send_to(w->id, proto::make_message(proto::message_type::welcome, "master", welcome_));
}

bool control_server::wait_for_workers(int count, std::chrono::steady_clock::duration timeout) {
  const auto until = green::clock::now() + timeout;
  while (static_cast<int>(registry_.ready_workers().size()) < count) {
    worker_joined_.reset();
    if (!worker_joined_.wait_for(until - green::clock::now()) && green::clock::now() >= until)
      return static_cast<int>(registry_.ready_workers().size()) >= count;
  }
  return true;
}

void control_server::quit_all() {
  for (const auto* w : registry_.ready_workers())
    send_to(w->id, proto::make_message(proto::message_type::quit, "master"));
}

void control_server::control_loop() {
  for (;;) {
    auto parts = control_.recv_multipart();
    if (!parts) continue;
    if (parts->size() != 2) {
      bad_frame("",
                "expected [identity, message], got " + std::to_string(parts->size()) + " frames");
      continue;
    }
    const std::string identity = (*parts)[0].to_string();
    auto decoded = proto::decode((*parts)[1].data(), (*parts)[1].size());
    if (auto* error = std::get_if<proto::decode_error>(&decoded)) {
      bad_frame(identity, error->reason);
      if (error->peer_version != 0) {
        const std::string reason = "master speaks protocol " +
                                   std::to_string(proto::protocol_version) +
                                   ", this worker speaks " + std::to_string(error->peer_version) +
                                   ": run the same swarmlet version on master and workers";
        log("refused worker '" + identity + "': " + reason);
        send_to(identity, proto::make_message(proto::message_type::refused, "master",
                                              proto::refused_payload{reason}));
      }
      continue;
    }
    auto& m = std::get<proto::message>(decoded);
    if (m.sender != identity) {
      bad_frame(identity, "sender '" + m.sender + "' differs from the connection's identity");
      continue;
    }
    handle(identity, std::move(m));
  }
}

void control_server::handle(const std::string& id, proto::message m) {
  const auto now = green::clock::now();
  switch (m.type) {
    case proto::message_type::hello: {
      // A hello is answered every time: a worker says it again when it believes itself
      // unregistered (it lost the master and stopped its users), so it also gets its share again.
      const auto& h = std::get<proto::hello_payload>(m.body);
      const bool known = registry_.known(id);
      const bool was_ready = registry_.ready(id);
      registry_.hello(id, h.host, h.threads, now);
      auto& remote = remotes_[id];
      if (!remote) remote = std::make_unique<remote_worker>(*this, id);
      send_to(id, proto::make_message(proto::message_type::welcome, "master", welcome_));
      if (!was_ready)
        log(std::string(known ? "worker re-joined: " : "worker joined: ") + id + " (" + h.host +
            ", " + std::to_string(h.threads) + " threads); " +
            std::to_string(registry_.ready_workers().size()) + " ready");
      if (runner_ != nullptr) runner_->add_worker(*remote, id, h.threads);
      if (!worker_joined_.ready()) worker_joined_.send();
      return;
    }
    case proto::message_type::heartbeat: {
      const auto& h = std::get<proto::heartbeat_payload>(m.body);
      if (!registry_.heard(id, now, h.users, h.cpu_percent)) {
        bad_frame(id, "heartbeat from a worker that has not said hello");
      } else if (registry_.newly_short_of_cpu(id)) {
        log(
            fmt::format("worker {} is using {:.0f}% CPU for {} hub thread(s): it may be measuring "
                        "itself rather "
                        "than the target; add workers or threads",
                        id, h.cpu_percent, registry_.all().at(id).threads));
      }
      return;
    }
    case proto::message_type::spawn_complete: {
      const auto& c = std::get<proto::spawn_complete_payload>(m.body);
      registry_.heard(id, now, c.users);
      if (runner_ != nullptr && c.run_id == runner_->run_id()) {
        spawned_[id] = c.users;
        int total = 0;
        bool all = true;
        for (const auto* w : registry_.ready_workers()) {
          auto it = spawned_.find(w->id);
          if (it == spawned_.end())
            all = false;
          else
            total += it->second;
        }
        if (all && total != last_spawned_total_) {
          last_spawned_total_ = total;
          log("all workers reached their targets: " + std::to_string(total) + " users");
        }
      }
      return;
    }
    case proto::message_type::error:
      if (!registry_.known(id)) return;
      log("worker " + id + " reports an error: " + std::get<proto::error_payload>(m.body).text);
      return;
    case proto::message_type::goodbye:
      if (!registry_.known(id)) return;
      registry_.remove(id);
      log("worker left: " + id + "; its users are spread over the others");
      if (runner_ != nullptr) runner_->remove_worker(id);
      return;
    default:
      bad_frame(id, std::string("a worker does not send ") + proto::to_string(m.type) +
                        " on the control plane");
  }
}

void control_server::stats_loop() {
  for (;;) {
    zmq::message_t frame;
    if (!stats_.recv(frame)) continue;
    if (frame.more()) {
      // Stats are one frame: drain and drop the rest of this message.
      while (frame.more()) stats_.recv(frame);
      bad_frame("", "stats message of several frames");
      continue;
    }
    auto decoded = proto::decode(frame.data(), frame.size());
    if (auto* error = std::get_if<proto::decode_error>(&decoded)) {
      bad_frame("", "stats plane: " + error->reason);
      continue;
    }
    auto& m = std::get<proto::message>(decoded);
    if (m.type != proto::message_type::stats) {
      bad_frame(m.sender,
                std::string("stats plane carries stats, not ") + proto::to_string(m.type));
      continue;
    }
    if (!registry_.known(m.sender)) {
      ++rejected_stats_;
      continue;
    }
    auto& report = std::get<proto::stats_report>(m.body);
    registry_.heard(m.sender, green::clock::now(), report.final ? 0 : report.users);
    if (runner_ != nullptr) {
      if (report.run_id != runner_->run_id()) {
        ++rejected_stats_;
        continue;
      }
      runner_->deliver(std::move(report));
    }
  }
}

void control_server::heartbeat_loop() {
  for (;;) {
    green::sleep(options_.heartbeat_interval);
    for (const auto* w : registry_.ready_workers())
      send_to(w->id, proto::make_message(proto::message_type::heartbeat, "master",
                                         proto::heartbeat_payload{0}));
    for (const auto& id : registry_.expire(
             green::clock::now(), options_.heartbeat_interval * options_.heartbeat_misses)) {
      log("worker missing: " + id + " (no heartbeat for " +
          std::to_string(options_.heartbeat_interval.count() * options_.heartbeat_misses) +
          " ms); its users are spread over the others");
      if (runner_ != nullptr) runner_->remove_worker(id);
    }
  }
}

}  // namespace swarmlet::master
