#include "virtual_network.hpp"

#include <unistd.h>

#include <algorithm>
#include <stdexcept>

#include "process.hpp"

namespace swarmlet::testing_support {
namespace {

void must(const std::vector<std::string>& argv) {
  const auto r = run_process(argv, std::chrono::seconds(30));
  if (r.code != 0) {
    std::string line;
    for (const auto& a : argv) line += a + " ";
    throw std::runtime_error("virtual network: `" + line + "` failed: " + r.err);
  }
}

bool runs(const std::vector<std::string>& argv) {
  return run_process(argv, std::chrono::seconds(30)).code == 0;
}

}  // namespace

std::optional<std::string> virtual_network::unavailable() {
  if (::geteuid() != 0) return "needs root (network namespaces)";
  if (::access("/usr/sbin/ip", X_OK) != 0 && ::access("/sbin/ip", X_OK) != 0)
    return "needs iproute2 (ip)";
  if (::access("/usr/sbin/nft", X_OK) != 0) return "needs nftables (nft)";
  return std::nullopt;
}

virtual_network::virtual_network(const std::vector<std::string>& hosts)
    : prefix_("swl" + std::to_string(::getpid()) + "-"), hosts_(hosts) {
  const std::string bridge = prefix_ + "br";
  must({"/usr/sbin/ip", "netns", "add", bridge});
  must({"/usr/sbin/ip", "-n", bridge, "link", "add", "br0", "type", "bridge"});
  must({"/usr/sbin/ip", "-n", bridge, "link", "set", "br0", "up"});
  for (std::size_t i = 0; i < hosts_.size(); ++i) {
    const std::string h = ns(hosts_[i]);
    const std::string veth = "v" + std::to_string(::getpid()) + "x" + std::to_string(i);
    must({"/usr/sbin/ip", "netns", "add", h});
    must({"/usr/sbin/ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", h});
    must({"/usr/sbin/ip", "link", "set", veth, "netns", bridge});
    must({"/usr/sbin/ip", "-n", bridge, "link", "set", veth, "master", "br0", "up"});
    must({"/usr/sbin/ip", "-n", h, "addr", "add", address(hosts_[i]) + "/24", "dev", "eth0"});
    must({"/usr/sbin/ip", "-n", h, "link", "set", "eth0", "up"});
    must({"/usr/sbin/ip", "-n", h, "link", "set", "lo", "up"});
  }
}

virtual_network::~virtual_network() {
  for (const auto& host : hosts_) {
    const auto pids = run_process({"/usr/sbin/ip", "netns", "pids", ns(host)});
    std::string pid;
    for (char c : pids.out + "\n") {
      if (c >= '0' && c <= '9') {
        pid += c;
      } else if (!pid.empty()) {
        runs({"/bin/kill", "-9", pid});
        pid.clear();
      }
    }
    runs({"/usr/sbin/ip", "netns", "del", ns(host)});
  }
  runs({"/usr/sbin/ip", "netns", "del", prefix_ + "br"});
}

std::string virtual_network::address(const std::string& host) const {
  const auto it = std::find(hosts_.begin(), hosts_.end(), host);
  if (it == hosts_.end()) throw std::invalid_argument("virtual network: no host " + host);
  return "198.18.0." + std::to_string(10 + (it - hosts_.begin()));
}

std::vector<std::string> virtual_network::in(const std::string& host,
                                             const std::vector<std::string>& argv) const {
  std::vector<std::string> out{"/usr/sbin/ip", "netns", "exec", ns(host)};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

void virtual_network::nft(const std::string& host, const std::vector<std::string>& args) {
  std::vector<std::string> argv{"/usr/sbin/ip", "netns", "exec", ns(host), "/usr/sbin/nft"};
  argv.insert(argv.end(), args.begin(), args.end());
  must(argv);
}

void virtual_network::ensure_fault_table(const std::string& host) {
  if (std::find(with_faults_.begin(), with_faults_.end(), host) != with_faults_.end()) return;
  nft(host, {"add", "table", "inet", "faults"});
  nft(host, {"add", "chain", "inet", "faults", "out",
             "{ type filter hook output priority 0 ; policy accept ; }"});
  nft(host, {"add", "chain", "inet", "faults", "in",
             "{ type filter hook input priority 0 ; policy accept ; }"});
  with_faults_.push_back(host);
}

void virtual_network::drop_outgoing(const std::string& host, const std::string& peer, int port) {
  ensure_fault_table(host);
  std::vector<std::string> rule{"add", "rule", "inet",  "faults",
                                "out", "ip",   "daddr", address(peer)};
  if (port > 0) rule.insert(rule.end(), {"tcp", "dport", std::to_string(port)});
  rule.push_back("drop");
  nft(host, rule);
}

void virtual_network::drop_incoming(const std::string& host, const std::string& peer) {
  ensure_fault_table(host);
  nft(host, {"add", "rule", "inet", "faults", "in", "ip", "saddr", address(peer), "drop"});
}

void virtual_network::heal(const std::string& host) {
  const auto it = std::find(with_faults_.begin(), with_faults_.end(), host);
  if (it == with_faults_.end()) return;
  nft(host, {"delete", "table", "inet", "faults"});
  with_faults_.erase(it);
}

}  // namespace swarmlet::testing_support
