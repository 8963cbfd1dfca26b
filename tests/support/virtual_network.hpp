#pragma once
// Several hosts on one machine, for fault tests: a network namespace per host, each joined by a
// veth pair to a bridge that lives in a namespace of its own, addressed 198.18.0.0/24 (RFC
// 2544's benchmarking range; nothing leaves the machine). Faults are nftables rules inside a
// host's namespace: packets dropped silently, as a partition drops them (no RST, no ICMP).
// Everything is removed when the object goes, processes in the namespaces included.
#include <optional>
#include <string>
#include <vector>

namespace swarmlet::testing_support {

class virtual_network {
 public:
  /// Why this machine cannot make one (not root, no `ip` or `nft`), or none when it can.
  static std::optional<std::string> unavailable();

  /// Makes a namespace per host; the i-th host gets 198.18.0.(10 + i). Throws on failure.
  explicit virtual_network(const std::vector<std::string>& hosts);
  ~virtual_network();
  virtual_network(const virtual_network&) = delete;
  virtual_network& operator=(const virtual_network&) = delete;

  std::string address(const std::string& host) const;
  /// `argv` to run inside `host`'s namespace (for ts::process or run_process).
  std::vector<std::string> in(const std::string& host, const std::vector<std::string>& argv) const;

  /// From now on `host` silently drops what it sends to `peer` (to its TCP port `port` only,
  /// when given).
  void drop_outgoing(const std::string& host, const std::string& peer, int port = 0);
  /// From now on `host` silently drops what it receives from `peer`.
  void drop_incoming(const std::string& host, const std::string& peer);
  /// Removes every fault of `host`.
  void heal(const std::string& host);

 private:
  std::string ns(const std::string& host) const { return prefix_ + host; }
  void nft(const std::string& host, const std::vector<std::string>& args);
  void ensure_fault_table(const std::string& host);

  std::string prefix_;
  std::vector<std::string> hosts_;
  std::vector<std::string> with_faults_;
};

}  // namespace swarmlet::testing_support
