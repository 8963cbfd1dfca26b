#pragma once
// The rows of `order: unique` data files across workers: each row goes to at most one iteration
// in the whole test, so the master leases each worker disjoint chunks of row indices (in file
// order) and tops a worker up when its reports show it running low. A row is never leased
// twice: rows leased to a worker that leaves are lost, as it may have used them after its last
// report. Pure bookkeeping: the test runner sends what it decides.
#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "proto/messages.hpp"

namespace swarmlet::master {

class row_leases {
 public:
  /// User class name -> rows of its unique data file.
  explicit row_leases(std::map<std::string, std::uint64_t> rows_per_class = {});

  bool empty() const noexcept { return classes_.empty(); }
  /// Leases more rows of the classes in `runs` (those `worker` has users of; one of `workers`
  /// taking part) where it has none yet or its unused rows would not last until its next
  /// report. True when its lease changed, or when the last rows went to someone since it was
  /// last told (it must hear that no more will come). A worker that left is simply no longer
  /// topped up; the rows it holds stay leased (lost, unless it used them).
  bool top_up(const std::string& worker, int workers, const std::set<std::string>& runs);
  /// What `worker` reported it used so far (per class, in total).
  void used(const std::string& worker, const std::map<std::string, std::uint64_t>& used);
  /// The process under `worker`'s id is gone (a new one said hello: a restart). The rows it
  /// held stay leased, lost unless it used them, and count in the usage; the new process starts
  /// with a lease of its own. It used to get the old one's, and ran from its first row: rows the
  /// old process had used ran again.
  void process_gone(const std::string& worker);
  /// What the worker's next spawn command carries (and marks it told).
  std::map<std::string, proto::row_lease> lease_of(const std::string& worker);

  struct usage {
    std::uint64_t rows = 0;    ///< in the file
    std::uint64_t leased = 0;  ///< handed to workers
    std::uint64_t used = 0;    ///< by iterations, as the workers reported
  };
  std::map<std::string, usage> usage_per_class() const;
  /// Whether every row of every class is leased and the live workers used all they hold for
  /// the classes they run now: no iteration of these classes can run again. `runs` maps each
  /// live worker to the classes it runs users of. Rows a worker that left held are lost; so,
  /// while it runs none of their class's users, are rows a worker holds for a class whose users
  /// were moved away or stopped (a lower user count): they kept a test whose users had all
  /// stopped idling until its run time (hunt).
  bool all_used(const std::map<std::string, std::set<std::string>>& runs) const;
  /// Whether `cls` has unique rows here.
  bool has(const std::string& cls) const { return classes_.contains(cls); }

 private:
  struct holding {
    proto::id_ranges rows;
    std::uint64_t used = 0;
    std::uint64_t used_before = 0;  ///< at the report before the last: its rate per report
    bool told_final = false;
  };
  struct per_class {
    std::uint64_t rows = 0;
    std::uint64_t next = 0;  ///< rows [0, next) are leased
    std::map<std::string, holding> workers;
    /// By every process, gone (restarts) or not, as each last reported: kept as reports come,
    /// so the usage costs no walk over a thousand workers per report.
    std::uint64_t used = 0;
  };
  std::map<std::string, per_class> classes_;
};

}  // namespace swarmlet::master
