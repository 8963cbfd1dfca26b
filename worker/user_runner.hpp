#pragma once
// One simulated user: a green thread running a user class of the scenario (Locust's User):
// on_start, then weighted tasks with waits between them, until told to stop; then on_stop.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "common/config/scenario.hpp"
#include "common/green/clock.hpp"
#include "common/green/event.hpp"
#include "common/green/ssl.hpp"
#include "common/stats/exception_table.hpp"
#include "common/stats/stats_table.hpp"
#include "open_user.hpp"
#include "unique_rows.hpp"

namespace swarmlet::worker {

/// The worker's place in the test (`${worker_index}`, `${worker_count}`), as its last spawn
/// command said; owned by the hub thread, read by its users at every iteration.
struct worker_identity {
  int index = 0;
  int count = 1;
};

struct user_options {
  std::uint64_t user_id = 0;  ///< `${user_id}`: unique in the whole test, from 1
  std::uint64_t seed = 0;
  const worker_identity* identity = nullptr;  ///< null: worker 0 of 1
  /// The class's `order: unique` rows on this worker (null without unique data).
  std::shared_ptr<unique_rows> rows;
  /// A scripted user's: where its requests and exceptions count (its run's tables, see
  /// hub_thread::start_run); null: its engine's. A YAML user is given its table.
  stats::stats_table* stats = nullptr;
  stats::exception_table* exceptions = nullptr;
};

class user_runner final : public open_user {
 public:
  user_runner(const config::scenario& scenario, const config::user_spec& spec,
              stats::stats_table& stats, std::shared_ptr<green::tls_context> tls,
              user_options options);

  /// Runs the user until stop() (blocks the calling green thread). A stop lets the request
  /// in flight finish, so every request sent is recorded.
  void run();
  /// The open model: runs on_start, then one task per assign() until stop(); `idle` is called
  /// each time the user is ready for the next iteration.
  void run_open(const std::function<void()>& idle);
  /// Gives an idle user (open model) its next iteration, intended to start at `intended`.
  void assign(green::time_point intended) override { turns_.assign(intended); }
  /// Asks the user to stop at its next task boundary or wait (wakes it from a wait).
  void stop() override;
  bool stopping() const noexcept override { return stop_.ready(); }
  /// The user ended on its own: its unique data had no row left for it (not asked to stop).
  bool ran_out_of_rows() const noexcept override { return ran_out_of_rows_; }
  bool dropped_its_arrival() const noexcept override { return dropped_its_arrival_; }
  bool stop_if_rowless() override;
  std::uint64_t id() const noexcept override { return options_.user_id; }
  const config::user_spec& spec() const noexcept { return spec_; }

 private:
  /// Waits `d` unless stopped first; false when stopped.
  bool wait_for(std::chrono::microseconds d);
  struct session;  // the client, variables and executor of one run
  /// Runs `steps` in order; a failed step does what its on_failure says. Returns false when
  /// the user must stop (a stop_user step failed; the stop is recorded as a failure row).
  /// `part` names them in that record ("on_start", "a task").
  bool run_steps(session& s, const std::vector<config::request_spec>& steps,
                 std::optional<green::time_point> intended, const char* part);
  /// One iteration: the steps of `task`. False when the user must stop.
  bool run_task(session& s, const config::task_spec& task,
                std::optional<green::time_point> intended);
  /// on_stop, bounded by the request timeout; then the closing handshake of its WebSocket.
  void run_on_stop(session& s);
  /// Gives the session its unique data row for the next iteration, waiting while the master's
  /// next lease is on its way; false when there is none (or the user was stopped meanwhile).
  bool next_unique_row(session& s);

  const config::scenario& scenario_;
  const config::user_spec& spec_;
  stats::stats_table& stats_;
  std::shared_ptr<green::tls_context> tls_;
  user_options options_;
  green::event<> stop_;
  open_turns turns_;
  bool ran_out_of_rows_ = false;
  bool dropped_its_arrival_ = false;  ///< an iteration assigned to it found no row
  bool holds_unused_row_ = false;     ///< (open model) a unique row taken for on_start, unused
};

}  // namespace swarmlet::worker
