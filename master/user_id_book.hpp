#pragma once
// The master's record of user ids in one run: which ids each worker was told to run, and which
// ids it was told to give up whose users may still be alive there (stopping, or on a worker
// that left or went missing). Those are unavailable to new users until a report of that worker,
// taken after the command that took them away, shows them gone: so `${user_id}` is never
// shared by two live users, whatever joins, leaves and re-spreads happen.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "distribution.hpp"
#include "proto/id_ranges.hpp"

namespace swarmlet::master {

class user_id_book {
 public:
  /// Who runs what now (workers that left are absent).
  const std::map<std::string, class_ids>& assignments() const noexcept { return assigned_; }
  /// `worker` runs `ids` from command `command` on: the ids it ran before and not now retire.
  void assign(const std::string& worker, std::uint64_t command, class_ids ids);
  /// The worker left: every id it ran retires (its users may still be alive).
  void leave(const std::string& worker);
  /// The worker's process is gone for sure (another process said hello under its name): the
  /// ids it ran or was retiring are free, as its users died with it.
  void process_gone(const std::string& worker);
  /// A report of `worker`, taken once it had command `command`: of the ids that command (or an
  /// earlier one) retired, those not in `live` are gone and free again. True when some were.
  bool reported(const std::string& worker, std::uint64_t command, const proto::id_ranges& live);
  /// Ids retired and not known to be gone: no new user may take them.
  proto::id_ranges unavailable() const;
  /// The unavailable ids of workers that left or went missing: unlike those of workers still
  /// here, they may never be reported gone.
  proto::id_ranges unavailable_elsewhere() const;

 private:
  struct retiring {
    std::uint64_t command;
    proto::id_ranges ids;
  };
  void retire(const std::string& worker, std::uint64_t command, proto::id_ranges ids);

  std::map<std::string, class_ids> assigned_;
  std::map<std::string, std::uint64_t> last_command_;
  std::map<std::string, std::vector<retiring>> retiring_;
};

}  // namespace swarmlet::master
