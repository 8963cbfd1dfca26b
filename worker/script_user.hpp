#pragma once
// A scripted user on a hub thread (the Lua twin of user_runner): its class's on_start, then
// weighted tasks with waits between them until told to stop (or sw.stop_user()), then
// on_stop; in the open model, one task per iteration the scheduler assigns. The Lua side (the
// user's Lua thread, u, u.http) is script::scripted_user's.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/config/scenario.hpp"
#include "common/config/user_random.hpp"
#include "common/green/event.hpp"
#include "common/green/ssl.hpp"
#include "common/script/engine.hpp"
#include "common/script/scripted_user.hpp"
#include "common/script/user_class.hpp"
#include "common/stats/stats_table.hpp"
#include "open_user.hpp"
#include "user_runner.hpp"

namespace swarmlet::worker {

class script_user final : public open_user {
 public:
  /// `cls` is the class the hub thread loaded for `spec` in `engine`; all must outlive the user.
  script_user(const config::scenario& scenario, const config::user_spec& spec,
              script::engine& engine, const script::user_class& cls,
              std::shared_ptr<green::tls_context> tls, user_options options);

  /// Runs the user until stop() (blocks the calling green thread). A stop lets the task in
  /// flight finish its request; on_stop then runs, bounded by the request timeout.
  void run();
  /// The open model: runs on_start, then one task per assign() until stop(); `idle` is called
  /// each time the user is ready for the next iteration.
  void run_open(const std::function<void()>& idle);
  void assign(green::time_point intended) override { turns_.assign(intended); }
  /// Asks the user to stop at its next task boundary or wait (wakes it from a wait).
  void stop() override;
  bool stopping() const noexcept override { return stop_.ready(); }
  bool ran_out_of_rows() const noexcept override { return ran_out_of_rows_; }
  bool dropped_its_arrival() const noexcept override { return dropped_its_arrival_; }
  bool stop_if_rowless() override;
  std::uint64_t id() const noexcept override { return options_.user_id; }
  const config::user_spec& spec() const noexcept { return spec_; }

 private:
  /// What the Lua side of the user starts with (u.id, u.vars, u.http's settings); none when
  /// its unique data has no row for it. `unique_row_now`: the unique row is taken now (for
  /// on_start), not at the first task.
  std::optional<script::user_settings> settings(bool unique_row_now);
  /// With `order: unique` data, u.vars gets the next row before a task, unless the row taken
  /// before on_start is still unused; false when no row is left (or the user was stopped).
  bool next_unique_row(script::scripted_user& u);
  bool take_row();
  /// With `order: random` data, u.vars gets a random row after each task, for the next one
  /// (as a YAML user's row changes); the row drawn before on_start is the first task's.
  void next_random_row(script::scripted_user& u);
  /// Row `r` of the class's data, by column name.
  std::map<std::string, std::string> row_at(std::size_t r) const;
  std::size_t random_row();
  /// Runs on_stop, bounded by http.timeout.
  void finish(script::scripted_user& u);
  /// The pause after a task: the scenario's wait, else the class's, else none; nothing when
  /// the class's wait function failed (the user stops).
  std::optional<std::chrono::microseconds> pause_after(script::scripted_user& u,
                                                       green::time_point task_start);

  const config::scenario& scenario_;
  const config::user_spec& spec_;
  script::engine& engine_;
  const script::user_class& class_;
  std::shared_ptr<green::tls_context> tls_;
  user_options options_;
  config::user_random rng_;
  green::event<> stop_;
  open_turns turns_;
  std::map<std::string, std::string> row_;  // the unique row taken, as u.vars
  bool row_fresh_ = false;                  // taken and not yet used by a task
  bool ran_out_of_rows_ = false;
  bool dropped_its_arrival_ = false;  ///< an iteration assigned to it found no row
};

}  // namespace swarmlet::worker
