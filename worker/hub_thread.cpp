#include "hub_thread.hpp"

#include <algorithm>
#include <chrono>
#include <random>

#include "spawn_plan.hpp"

namespace swarmlet::worker {

hub_thread::hub_thread(int index, std::shared_ptr<const config::scenario> scenario,
                       green::hub_options options)
    : index_(index), scenario_(std::move(scenario)) {
  auto started = ready_.get_future();
  thread_ = std::thread([this, options] { main(options); });
  started.wait();
}

hub_thread::~hub_thread() {
  post([this] {
    if (!quit_.ready()) quit_.send();
  });
  thread_.join();
}

void hub_thread::post(std::function<void()> call) {
  hub_->call_soon_threadsafe(std::move(call));
}

void hub_thread::main(green::hub_options options) {
  green::hub hub(options);
  hub_ = &hub;
  if (scenario_->target.rfind("https", 0) == 0)
    tls_ = std::make_shared<green::tls_context>(
        green::tls_context::client(scenario_->http.verify_tls));
  ready_.set_value();
  quit_.wait();
  // Leaving: users still running get the grace of one request timeout, then the hub's
  // destructor kills what is left.
  stop_all_users();
  const auto until = green::clock::now() + scenario_->http.timeout;
  while (running_ > 0 && green::clock::now() < until) green::sleep(std::chrono::milliseconds(5));
}

void hub_thread::start_user(std::size_t class_index, std::uint64_t user_id) {
  launch_user(class_index, user_id, false);
}

void hub_thread::launch_user(std::size_t class_index, std::uint64_t user_id, bool open_model) {
  user_options o;
  o.user_id = user_id;
  o.data_row = static_cast<std::size_t>(user_id);
  o.seed = user_id * 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(index_);
  auto& list = users_[class_index];
  list.push_back(live_user{std::make_unique<user_runner>(
      *scenario_, scenario_->users.at(class_index), stats_, tls_, o)});
  auto it = std::prev(list.end());
  ++running_;
  if (open_model) {
    ++open_users_;
    starting_.insert(it->runner.get());
  }
  green::spawn_n([this, class_index, it, open_model] {
    struct on_exit {
      hub_thread& self;
      std::size_t cls;
      std::list<live_user>::iterator user;
      bool open_model;
      ~on_exit() {
        --self.running_;
        if (open_model) {
          --self.open_users_;
          self.starting_.erase(user->runner.get());
          std::erase(self.idle_, user->runner.get());
        }
        self.users_[cls].erase(user);
      }
    } cleanup{*this, class_index, it, open_model};
    if (open_model) {
      it->runner->run_open([this](user_runner& u) { on_idle(u); });
    } else {
      it->runner->run();
    }
  });
}

void hub_thread::stop_users(std::size_t class_index, int n) {
  auto& list = users_[class_index];
  for (auto it = list.rbegin(); it != list.rend() && n > 0; ++it) {
    if (it->stop_asked) continue;
    it->stop_asked = true;
    it->runner->stop();
    --n;
  }
}

void hub_thread::set_arrival(double rate, double rate_to, std::chrono::microseconds ramp,
                             int max_users, std::uint64_t first_user_id) {
  arrival_rate_ = rate;
  arrival_rate_to_ = rate_to;
  arrival_ramp_ = ramp;
  max_open_users_ = max_users;
  if (next_open_user_id_ == 0) next_open_user_id_ = first_user_id;
  if (!scheduler_.valid() || scheduler_.dead()) {
    scheduler_ = green::spawn([this] { arrival_loop(); });
  } else if (!rate_changed_.ready()) {
    rate_changed_.send();
  }
}

void hub_thread::start_open_user() {
  // A new user's class is drawn by weight.
  std::vector<int> weights;
  for (const auto& u : scenario_->users) weights.push_back(u.weight);
  std::mt19937_64 rng(next_open_user_id_);
  const std::size_t ci =
      std::discrete_distribution<std::size_t>(weights.begin(), weights.end())(rng);
  launch_user(ci, next_open_user_id_++, true);
}

void hub_thread::on_idle(user_runner& u) {
  starting_.erase(&u);
  if (!pending_.empty() && !u.stopping()) {
    u.assign(pending_.front());
    pending_.pop_front();
  } else {
    idle_.push_back(&u);
  }
}

void hub_thread::arrival_loop() {
  // Iteration k of a schedule is due at start + arrival_offset_s(k); a new rate starts a new
  // schedule.
  std::mt19937_64 rng(static_cast<std::uint64_t>(index_) + 17);
  for (;;) {
    rate_changed_.reset();
    const double rate = arrival_rate_, rate_to = arrival_rate_to_;
    const double ramp_s = std::chrono::duration<double>(arrival_ramp_).count();
    if (rate <= 0 && rate_to <= 0) return;
    // Users are made before the schedule starts, so its first arrivals find them ready.
    while (open_users_ < std::min(max_open_users_, pre_allocated_users)) start_open_user();
    const auto ready_by = green::clock::now() + std::chrono::seconds(10);
    while (starting_users() > 0 && green::clock::now() < ready_by && !rate_changed_.ready())
      rate_changed_.wait_for(std::chrono::milliseconds(1));
    if (rate_changed_.ready()) continue;
    const auto start = green::clock::now();
    for (std::uint64_t k = 0;; ++k) {
      const double offset = arrival_offset_s(k, rate, rate_to, ramp_s);
      if (offset > 1e9) {  // a ramp down to 0: no more arrivals until the next schedule
        rate_changed_.wait();
        break;
      }
      const auto due = start + std::chrono::duration_cast<green::duration>(
                                   std::chrono::duration<double>(offset));
      if (green::clock::now() < due && rate_changed_.wait_for(due - green::clock::now())) break;
      if (rate_changed_.ready()) break;
      if (!idle_.empty()) {
        // The most recently idle user: a small hot set of users (and connections) serves a
        // steady rate, instead of every user ever made taking turns.
        user_runner* u = idle_.back();
        idle_.pop_back();
        u->assign(due);
      } else if (open_users_ < max_open_users_) {
        // Below the user budget: the iteration waits for the next user to be free (its latency
        // still counts from `due`), and a few more users are made meanwhile.
        if (starting_users() < max_users_starting) start_open_user();
        pending_.push_back(due);
      } else {
        // No user to run it: the iteration is dropped, and said so, never silently skipped.
        const auto& spec = scenario_->users.front();
        std::vector<int> weights;
        for (const auto& t : spec.tasks) weights.push_back(t.weight);
        const auto& task = spec.tasks[std::discrete_distribution<std::size_t>(weights.begin(),
                                                                              weights.end())(rng)];
        stats_.entry(task.steps.front().method, task.steps.front().name).dropped += 1;
      }
    }
  }
}

void hub_thread::stop_all_users() {
  arrival_rate_ = 0;
  arrival_rate_to_ = 0;
  pending_.clear();
  if (!rate_changed_.ready()) rate_changed_.send();
  for (auto& [cls, list] : users_)
    for (auto& u : list) {
      u.stop_asked = true;
      u.runner->stop();
    }
}

}  // namespace swarmlet::worker
