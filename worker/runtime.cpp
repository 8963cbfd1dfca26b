#include "runtime.hpp"

#include <algorithm>

#include "common/green/operations.hpp"
#include "common/green/queue.hpp"
#include "spawn_plan.hpp"

namespace swarmlet::worker {

runtime::runtime(std::shared_ptr<const config::scenario> scenario, runtime_options options,
                 proto::report_sink& sink)
    : scenario_(std::move(scenario)),
      options_(std::move(options)),
      sink_(sink),
      control_(green::hub::get()) {
  for (int i = 0; i < std::max(1, options_.threads); ++i)
    threads_.push_back(std::make_unique<hub_thread>(i, scenario_, options_.hub));
  per_thread_.resize(threads_.size());
  spawner_ = green::spawn([this] { spawner_loop(); });
  reporter_ = green::spawn([this] { reporter_loop(); });
}

runtime::~runtime() {
  spawner_.kill();
  reporter_.kill();
  for (auto& t : stoppers_) t.kill();  // a stop still draining must not outlive the runtime
  threads_.clear();                    // each stops its users and joins
}

std::size_t runtime::class_index(const std::string& name) const {
  for (std::size_t i = 0; i < scenario_->users.size(); ++i)
    if (scenario_->users[i].name == name) return i;
  return scenario_->users.size();
}

void runtime::spawn(const proto::spawn_command& command) {
  if (command.run_id != run_id_) {
    run_id_ = command.run_id;
    sequence_ = 0;
  }
  stopping_ = false;
  command_id_ = command.command_id;
  if (command.arrival) {
    // The open model: each hub thread runs its share of the schedule with its share of users.
    const config::arrival_plan& plan = *command.arrival;
    const int n = static_cast<int>(threads_.size());
    for (int t = 0; t < n; ++t) {
      const int users = plan.max_users / n + (t < plan.max_users % n ? 1 : 0);
      const config::arrival_plan share = plan.share(1, n, users);
      const std::uint64_t first_id = 1 + static_cast<std::uint64_t>(t) * 1'000'000'000ull;
      threads_[t]->post(
          [th = threads_[t].get(), share, first_id] { th->set_arrival(share, first_id); });
    }
    open_model_ = true;
    total_users_ = plan.max_users;
    return;
  }
  target_ = command;
  // Unknown classes are ignored (the scenario came with the same command's sender).
  for (auto it = target_.users_per_class.begin(); it != target_.users_per_class.end();) {
    it = class_index(it->first) < scenario_->users.size() ? std::next(it)
                                                          : target_.users_per_class.erase(it);
  }
  if (!retarget_.ready()) retarget_.send();
}

void runtime::change_one(bool start, const std::string& cls) {
  const std::size_t ci = class_index(cls);
  if (start) {
    std::size_t best = 0;
    int fewest = INT32_MAX;
    for (std::size_t t = 0; t < threads_.size(); ++t) {
      int n = 0;
      for (const auto& [c, k] : per_thread_[t]) n += k;
      if (n < fewest) {
        fewest = n;
        best = t;
      }
    }
    const std::uint64_t id = next_user_id_++;
    threads_[best]->post([th = threads_[best].get(), ci, id] { th->start_user(ci, id); });
    ++per_thread_[best][cls];
    ++current_[cls];
    ++total_users_;
  } else {
    std::size_t best = 0;
    int most = -1;
    for (std::size_t t = 0; t < threads_.size(); ++t) {
      if (per_thread_[t][cls] > most) {
        most = per_thread_[t][cls];
        best = t;
      }
    }
    threads_[best]->post([th = threads_[best].get(), ci] { th->stop_users(ci, 1); });
    --per_thread_[best][cls];
    --current_[cls];
    --total_users_;
  }
}

void runtime::spawner_loop() {
  for (;;) {
    retarget_.wait();
    retarget_.reset();
    const auto ramp_start = green::clock::now();
    const double rate = std::max(target_.spawn_rate, 1e-3);
    std::int64_t done = 0;
    for (;;) {
      if (retarget_.ready() || stopping_) break;
      auto to_start = next_class_to_start(current_, target_.users_per_class);
      auto to_stop =
          to_start ? std::nullopt : next_class_to_stop(current_, target_.users_per_class);
      if (!to_start && !to_stop) {
        if (options_.on_spawn_complete) options_.on_spawn_complete(run_id_, total_users_);
        break;
      }
      const std::int64_t due = changes_due(green::clock::now() - ramp_start, rate);
      if (done < due) {
        change_one(to_start.has_value(), to_start ? *to_start : *to_stop);
        ++done;
        continue;
      }
      // Sleep until the next change is due, waking early for a new target.
      const auto next_at =
          ramp_start + std::chrono::duration_cast<green::duration>(
                           std::chrono::duration<double>(static_cast<double>(done) / rate));
      retarget_.wait_for(std::max(green::duration::zero(), next_at - green::clock::now()));
    }
  }
}

stats::stats_table runtime::collect() {
  green::queue<stats::stats_table> deltas;
  for (auto& t : threads_) {
    t->post([th = t.get(), &deltas, this] {
      auto d = std::make_shared<stats::stats_table>(th->take_delta());
      control_.call_soon_threadsafe([&deltas, d] { deltas.put_nowait(std::move(*d)); });
    });
  }
  stats::stats_table merged;
  merged.cap_names(scenario_->stats.max_names);
  for (std::size_t i = 0; i < threads_.size(); ++i) merged.merge(deltas.get());
  return merged;
}

int runtime::count_running() {
  green::queue<int> counts;
  for (auto& t : threads_) {
    t->post([th = t.get(), &counts, this] {
      const int n = th->running_users();
      control_.call_soon_threadsafe([&counts, n] { counts.put_nowait(n); });
    });
  }
  int total = 0;
  for (std::size_t i = 0; i < threads_.size(); ++i) total += counts.get();
  return total;
}

void runtime::deliver(bool final, std::uint64_t command_id) {
  green::semaphore_guard one_at_a_time(delivering_);
  proto::stats_report r;
  r.worker_id = options_.worker_id;
  r.run_id = run_id_;
  r.sequence = ++sequence_;
  r.final = final;
  r.command_id = command_id;
  r.users = total_users_;
  r.delta = collect();
  requests_reported_ += r.delta.total().requests;
  sink_.deliver(std::move(r));
}

void runtime::reporter_loop() {
  for (;;) {
    green::sleep(options_.report_interval);
    if (run_id_ != 0 && !stopping_) deliver(false, command_id_);
  }
}

void runtime::stop(std::uint64_t run_id) {
  if (run_id != run_id_ || stopping_) return;
  stopping_ = true;
  // The books close at once, so a spawn that comes while the users drain starts from none;
  // the final report then answers the command before it, not that spawn.
  const std::uint64_t answered = command_id_;
  open_model_ = false;
  current_.clear();
  for (auto& m : per_thread_) m.clear();
  total_users_ = 0;
  target_.users_per_class.clear();
  if (!retarget_.ready()) retarget_.send();  // ends any ramp in progress
  for (auto& t : threads_) t->post([th = t.get()] { th->stop_all_users(); });
  std::erase_if(stoppers_, [](const auto& t) { return t.dead(); });
  stoppers_.push_back(green::spawn([this, answered] {
    // Users finish the request they are in; a request cannot outlast its timeout.
    const auto until = green::clock::now() + scenario_->http.timeout + std::chrono::seconds(1);
    while (command_id_ == answered && count_running() > 0 && green::clock::now() < until)
      green::sleep(std::chrono::milliseconds(10));
    deliver(true, answered);
  }));
}

bool runtime::stopping() const noexcept {
  return std::any_of(stoppers_.begin(), stoppers_.end(), [](const auto& t) { return !t.dead(); });
}

user_load_factory runtime_factory(runtime_options options) {
  return [options](std::shared_ptr<const config::scenario> scenario, proto::report_sink& sink,
                   spawn_complete_callback on_spawn_complete) -> std::unique_ptr<user_load> {
    runtime_options o = options;
    o.on_spawn_complete = std::move(on_spawn_complete);
    return std::make_unique<runtime>(std::move(scenario), o, sink);
  };
}

}  // namespace swarmlet::worker
