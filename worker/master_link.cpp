#include "agent.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <ostream>
#include <random>

#include "common/config/scenario_loader.hpp"
#include "common/green/operations.hpp"
#include "common/http/url.hpp"

namespace swarmlet::worker {

std::string make_worker_id() {
  char host[256] = "host";
  ::gethostname(host, sizeof host - 1);
  std::random_device rd;
  char suffix[9];
  std::snprintf(suffix, sizeof suffix, "%08x", rd());
  return std::string(host) + "-" + std::to_string(::getpid()) + "-" + suffix;
}

agent::agent(zmq::context_t& context, agent_options options)
    : options_(std::move(options)),
      control_(context, zmq::socket_type::dealer),
      stats_(context, zmq::socket_type::push) {
  if (options_.worker_id.empty()) options_.worker_id = make_worker_id();
  control_.raw().set(zmq::sockopt::routing_id, options_.worker_id);
  // Control messages are only worth sending to a live connection: heartbeats and hellos queued
  // while the master is away would arrive stale.
  control_.raw().set(zmq::sockopt::immediate, 1);
  // ZeroMQ reconnects by itself; back off from 100 ms to 5 s while the master is away.
  for (auto* s : {&control_, &stats_}) {
    s->raw().set(zmq::sockopt::reconnect_ivl, 100);
    s->raw().set(zmq::sockopt::reconnect_ivl_max, 5000);
    if (options_.curve) {
      s->raw().set(zmq::sockopt::curve_serverkey, options_.curve->master_public_key);
      s->raw().set(zmq::sockopt::curve_publickey, options_.curve->own.public_key);
      s->raw().set(zmq::sockopt::curve_secretkey, options_.curve->own.secret_key);
    }
  }
  control_.connect(options_.control_endpoint);
  stats_.raw().set(zmq::sockopt::linger, 2000);  // the final report leaves before the socket closes
  if (!options_.stats_endpoint.empty()) connect_stats(options_.stats_endpoint);
}

void agent::connect_stats(const std::string& endpoint) {
  if (endpoint == stats_connected_) return;
  if (!stats_connected_.empty()) stats_.raw().disconnect(stats_connected_);
  stats_.connect(endpoint);
  stats_connected_ = endpoint;
}

agent::~agent() {
  runtime_.reset();
  if (!data_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(data_dir_, ec);
  }
}

void agent::log(const std::string& line) {
  if (options_.log != nullptr) *options_.log << "swarmlet worker: " << line << std::endl;
}

void agent::send(const proto::message& m) {
  const std::string bytes = proto::encode(m);
  control_.send(zmq::buffer(bytes), zmq::send_flags::none, std::chrono::milliseconds(200));
}

void agent::deliver(proto::stats_report report) {
  const std::string bytes = proto::encode(
      proto::make_message(proto::message_type::stats, options_.worker_id, std::move(report)));
  // Blocks (this green thread only) at the high-water mark: stats wait rather than vanish.
  stats_.send(zmq::buffer(bytes));
}

void agent::on_welcome(const proto::welcome_payload& w) {
  heartbeat_interval_ = std::chrono::milliseconds(w.heartbeat_interval_ms);
  // Stats go where the master says, unless --stats-port said otherwise. Nothing is lost: stats
  // are only sent for a test, and tests come after the welcome.
  if (options_.stats_endpoint.empty() && w.stats_port > 0) {
    const auto& control = options_.control_endpoint;
    connect_stats(control.substr(0, control.rfind(':') + 1) + std::to_string(w.stats_port));
  }
  if (!registered_) log("registered with the master at " + options_.control_endpoint);
  registered_ = true;
  if (runtime_ && w.scenario_yaml + w.target == scenario_yaml_)
    return;  // same test: keep the hub threads
  runtime_.reset();
  // Data files come with the scenario; they live next to it in a directory of our own.
  if (data_dir_.empty()) {
    std::string pattern =
        std::filesystem::temp_directory_path().string() + "/swarmlet-worker-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("cannot make a temporary directory");
    data_dir_ = pattern;
  }
  for (const auto& [name, content] : w.files) {
    const std::filesystem::path p(name);
    if (p.is_absolute() || name.find("..") != std::string::npos) {
      log("refusing data file '" + name +
          "': in distributed runs data files are named relative to the scenario");
      continue;
    }
    std::filesystem::create_directories((std::filesystem::path(data_dir_) / p).parent_path());
    std::ofstream(std::filesystem::path(data_dir_) / p, std::ios::binary) << content;
  }
  try {
    config::scenario loaded =
        config::load_scenario_text(w.scenario_yaml, w.scenario_name, data_dir_);
    if (!w.target.empty()) {
      std::string error;
      if (!http::parse_url(w.target, error))
        throw config::config_error("the master's target: " + error);
      loaded.target = w.target;
    }
    auto scenario = std::make_shared<const config::scenario>(std::move(loaded));
    runtime_options ro;
    ro.on_spawn_complete = [this](std::uint64_t run_id, int users) {
      send(proto::make_message(proto::message_type::spawn_complete, options_.worker_id,
                               proto::spawn_complete_payload{run_id, users}));
    };
    ro.threads = options_.threads;
    ro.worker_id = options_.worker_id;
    ro.report_interval = options_.report_interval;
    ro.hub = options_.hub;
    runtime_ = std::make_unique<runtime>(scenario, ro, *this);
    scenario_yaml_ = w.scenario_yaml + w.target;
  } catch (const config::config_error& e) {
    const std::string text = std::string("the master's scenario does not load here: ") + e.what();
    log(text);
    send(proto::make_message(proto::message_type::error, options_.worker_id,
                             proto::error_payload{text}));
    if (!done_.ready()) done_.send(2);
  }
}

void agent::receive_loop() {
  for (;;) {
    auto parts = control_.recv_multipart();
    if (!parts || parts->size() != 1) continue;
    auto decoded = proto::decode((*parts)[0].data(), (*parts)[0].size());
    if (auto* error = std::get_if<proto::decode_error>(&decoded)) {
      log("dropped a bad message from the master: " + error->reason);
      continue;
    }
    auto& m = std::get<proto::message>(decoded);
    last_heard_ = green::clock::now();
    switch (m.type) {
      case proto::message_type::welcome:
        on_welcome(std::get<proto::welcome_payload>(m.body));
        break;
      case proto::message_type::refused:
        log("the master refused this worker: " + std::get<proto::refused_payload>(m.body).reason);
        if (!done_.ready()) done_.send(1);
        break;
      case proto::message_type::spawn:
        if (runtime_ && registered_) {
          const auto& c = std::get<proto::spawn_command>(m.body);
          int users = 0;
          for (const auto& [cls, n] : c.users_per_class) users += n;
          log("spawn: " + std::to_string(users) + " users at " + std::to_string(c.spawn_rate) +
              "/s");
          runtime_->spawn(c);
        }
        break;
      case proto::message_type::stop:
        if (runtime_) runtime_->stop(std::get<proto::stop_payload>(m.body).run_id);
        break;
      case proto::message_type::quit:
        log("the master said quit");
        if (!done_.ready()) done_.send(0);
        break;
      case proto::message_type::heartbeat:
        break;
      default:
        log(std::string("ignored a ") + proto::to_string(m.type) + " from the master");
    }
  }
}

int agent::run() {
  log("worker " + options_.worker_id + " connecting to " + options_.control_endpoint);
  auto receiver = green::spawn([this] { receive_loop(); });
  last_heard_ = green::clock::now();
  auto hello_backoff = std::chrono::milliseconds(250);
  const auto started = green::clock::now();
  bool hinted = false;
  while (!done_.ready()) {
    const auto now = green::clock::now();
    if (!registered_ && !hinted && now - started > std::chrono::seconds(10)) {
      // A CURVE handshake that fails is silent on both sides: say what to check.
      hinted = true;
      log("no answer from the master at " + options_.control_endpoint +
          " for 10 s: is it running there" +
          (options_.curve ? "? is --master-key its public key, and is this worker's key on its "
                            "--curve-allow list?"
                          : " (and without --curve-key)?"));
    }
    if (registered_ && now - last_heard_ > heartbeat_interval_ * options_.heartbeat_misses) {
      log("no word from the master for " +
          std::to_string((heartbeat_interval_ * options_.heartbeat_misses).count()) +
          " ms: stopping users, saying hello again");
      registered_ = false;
      if (runtime_ && runtime_->current_run() != 0) runtime_->stop(runtime_->current_run());
    }
    if (registered_) hello_backoff = std::chrono::milliseconds(250);
    if (!registered_) {
      char host[256] = "host";
      ::gethostname(host, sizeof host - 1);
      send(proto::make_message(proto::message_type::hello, options_.worker_id,
                               proto::hello_payload{host, ::getpid(), options_.threads}));
    } else {
      send(proto::make_message(
          proto::message_type::heartbeat, options_.worker_id,
          proto::heartbeat_payload{runtime_ ? runtime_->users() : 0, cpu_.sample()}));
    }
    if (registered_) {
      done_.wait_for(heartbeat_interval_);
    } else {
      // Say hello again sooner at first, then less often while no master answers.
      done_.wait_for(hello_backoff);
      hello_backoff = std::min(hello_backoff * 2, std::chrono::milliseconds(5000));
    }
  }
  const int code = done_.wait();
  receiver.kill();
  if (runtime_ && runtime_->current_run() != 0 && code == 0) {
    // Let a final report of a stop in progress leave before the process goes.
    green::sleep(std::chrono::milliseconds(100));
  }
  if (runtime_) log("sent stats of " + std::to_string(runtime_->requests_reported()) + " requests");
  return code;
}

void agent::stop() {
  send(proto::make_message(proto::message_type::goodbye, options_.worker_id));
  log("leaving: said goodbye to the master");
  if (!done_.ready()) done_.send(0);
}

}  // namespace swarmlet::worker
