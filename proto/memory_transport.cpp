#include "memory_transport.hpp"

namespace swarmlet::proto {

class memory_network::master_end final : public master_transport {
 public:
  explicit master_end(memory_network& net) : net_(net) {}
  ~master_end() override { net_.master_ = nullptr; }

  received receive_control() override {
    frame f = control_.get();
    return {f.peer, decode(f.bytes.data(), f.bytes.size()), f.key};
  }
  std::variant<stats_bytes, decode_error> receive_stats() override {
    frame f = stats_.get();
    return stats_bytes{std::move(f.bytes), std::move(f.key)};
  }
  bool send(const std::string& worker, const message& m) override {
    net_.carry(worker, control_down, {"master", encode(m), {}});
    return true;  // as a ROUTER: a message to an unknown worker vanishes without a word
  }
  int stats_port() const override { return 0; }

  green::queue<frame> control_;
  green::queue<frame> stats_;

 private:
  memory_network& net_;
};

class memory_network::worker_end final : public worker_transport {
 public:
  worker_end(memory_network& net, std::string id, std::string key)
      : net_(net), id_(std::move(id)), key_(std::move(key)) {}
  ~worker_end() override {
    if (auto it = net_.links_.find(id_); it != net_.links_.end() && it->second.end == this)
      it->second.end = nullptr;
  }

  received receive() override {
    frame f = inbox_.get();
    return {f.peer, decode(f.bytes.data(), f.bytes.size()), {}};
  }
  bool send(const message& m) override {
    // As a DEALER with ZMQ_IMMEDIATE: nothing is queued for a master that is not there.
    if (net_.master_ == nullptr) {
      ++net_.dropped_;
      return false;
    }
    net_.carry(id_, control_up, {id_, encode(m), key_});
    return true;
  }
  void push_stats(std::string frame) override {
    net_.carry(id_, stats_up, {"", std::move(frame), key_});
  }
  void use_stats_port(int) override {}

  green::queue<frame> inbox_;

 private:
  memory_network& net_;
  std::string id_;
  std::string key_;
};

std::unique_ptr<master_transport> memory_network::listen() {
  if (master_ != nullptr)
    throw std::logic_error("memory_network: a master already listens; destroy it first");
  auto end = std::make_unique<master_end>(*this);
  master_ = end.get();
  while (!stats_waiting_for_master_.empty()) {
    master_->stats_.put(std::move(stats_waiting_for_master_.front()));
    stats_waiting_for_master_.pop_front();
  }
  return end;
}

std::unique_ptr<worker_transport> memory_network::connect(const std::string& worker_id,
                                                          const std::string& key) {
  auto end = std::make_unique<worker_end>(*this, worker_id, key);
  links_[worker_id].end = end.get();
  return end;
}

void memory_network::partition(const std::string& worker_id, unsigned paths, fault how) {
  link& l = links_[worker_id];
  for (path p : {control_up, control_down, stats_up})
    if ((paths & p) != 0) l.cut[p] = how;
}

void memory_network::heal(const std::string& worker_id) {
  link& l = links_[worker_id];
  l.cut.clear();
  std::deque<std::pair<path, frame>> held;
  held.swap(l.held);
  for (auto& [p, f] : held) deliver(worker_id, p, std::move(f));
}

void memory_network::inject_control(const std::string& from_worker, std::string bytes) {
  deliver(from_worker, control_up, {from_worker, std::move(bytes), {}});
}

void memory_network::inject_stats(std::string bytes) {
  deliver("", stats_up, {"", std::move(bytes), {}});
}

void memory_network::inject_to_worker(const std::string& worker_id, std::string bytes) {
  deliver(worker_id, control_down, {"master", std::move(bytes), {}});
}

std::size_t memory_network::stats_waiting() const {
  std::size_t n = stats_waiting_for_master_.size();
  for (const auto& [id, l] : links_)
    for (const auto& [p, f] : l.held) n += p == stats_up ? 1 : 0;
  return n;
}

void memory_network::carry(const std::string& worker, path p, frame f) {
  link& l = links_[worker];
  const auto cut = l.cut.find(p);
  if (cut == l.cut.end()) return deliver(worker, p, std::move(f));
  if (cut->second == fault::hold) {
    l.held.emplace_back(p, std::move(f));
  } else {
    ++dropped_;
  }
}

void memory_network::deliver(const std::string& worker, path p, frame f) {
  switch (p) {
    case control_up:
      if (master_ == nullptr) {
        ++dropped_;
      } else {
        master_->control_.put(std::move(f));
      }
      return;
    case stats_up:
      if (master_ == nullptr) {
        stats_waiting_for_master_.push_back(std::move(f));
      } else {
        master_->stats_.put(std::move(f));
      }
      return;
    case control_down: {
      auto it = links_.find(worker);
      if (it == links_.end() || it->second.end == nullptr) {
        ++dropped_;
      } else {
        it->second.end->inbox_.put(std::move(f));
      }
      return;
    }
    default:
      return;
  }
}

}  // namespace swarmlet::proto
