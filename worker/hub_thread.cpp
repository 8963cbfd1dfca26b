#include "hub_thread.hpp"

#include <algorithm>
#include <chrono>
#include <random>

#include "client_settings.hpp"
#include "common/green/dns_resolver.hpp"
#include "common/script/scripted_user.hpp"

namespace swarmlet::worker {
namespace {

/// SplitMix64's finaliser: nearby inputs (ids 1, 2, 3) give unrelated outputs.
std::uint64_t mixed(std::uint64_t x) {
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace

hub_thread::hub_thread(int index, std::shared_ptr<const config::scenario> scenario,
                       green::hub_options options, std::shared_ptr<stats::name_admission> names,
                       user_ended_fn on_user_ended)
    : index_(index),
      scenario_(std::move(scenario)),
      seed_base_([] {
        std::random_device entropy;
        return (static_cast<std::uint64_t>(entropy()) << 32) ^ entropy();
      }()),
      on_user_ended_(std::move(on_user_ended)),
      arrivals_(index, *scenario_, stats_,
                [this](std::size_t class_index, std::uint64_t user_id) -> open_user* {
                  return launch_user(class_index, user_id, true);
                }) {
  stats_.cap_names(
      stats::worker_name_cap(scenario_->stats.max_names));  // names made from ids fold, not grow
  start_run(std::move(names));
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

void hub_thread::quit(std::function<void()> on_left) {
  post([this, on_left = std::move(on_left)]() mutable {
    on_left_ = std::move(on_left);
    if (!quit_.ready()) quit_.send();
  });
}

void hub_thread::post(std::function<void()> call) {
  std::lock_guard lock(hub_mutex_);
  if (hub_ != nullptr) hub_->call_soon_threadsafe(std::move(call));
}

void hub_thread::main(green::hub_options options) {
  // The Lua state outlives the hub: green threads that the hub's destructor kills may still
  // hold Lua values.
  std::unique_ptr<script::engine> scripts;
  const bool scripted = std::any_of(scenario_->users.begin(), scenario_->users.end(),
                                    [](const auto& u) { return !u.script.empty(); });
  if (scripted) {
    script::engine_options o;
    o.heap_limit = scenario_->scripting.heap_limit;
    o.run_limit =
        std::chrono::duration_cast<std::chrono::milliseconds>(scenario_->scripting.run_limit);
    scripts = std::make_unique<script::engine>(scenario_->scripts, o);
    scripts->set_stats(&stats_);
    scripts->set_exceptions(&exceptions_);
    scripts_ = scripts.get();
  }
  green::hub hub(options);
  {
    std::lock_guard lock(hub_mutex_);
    hub_ = &hub;
  }
  // After quit() the thread may end while the object lives on: posts then go nowhere. Declared
  // after the hub, so that no post reaches it once it is being torn down.
  struct forget_hub {
    hub_thread& t;
    ~forget_hub() {
      std::lock_guard lock(t.hub_mutex_);
      t.hub_ = nullptr;
    }
  } forget{*this};
  // One TLS context for every user of this hub, whatever origin they reach. Bad PEM text
  // leaves none: each user's https connections then fail, saying why.
  try {
    tls_ = http::make_tls_context(client_options_of(*scenario_));
  } catch (const green::tls_error&) {
    tls_ = nullptr;
  }
  const config::dns_spec& d = scenario_->dns;
  if (!d.servers.empty() || d.max_ttl != config::dns_spec{}.max_ttl ||
      d.select != config::dns_spec{}.select) {
    green::dns_settings dns;
    dns.servers = d.servers;
    dns.max_ttl = d.max_ttl;
    dns.select = d.select == config::dns_spec::selection::first    ? green::dns_select::first
                 : d.select == config::dns_spec::selection::random ? green::dns_select::random
                                                                   : green::dns_select::round_robin;
    green::configure_dns(dns);
  }
  ready_.set_value();
  quit_.wait();
  // Leaving: users still running get the grace of one request timeout (none when the worker
  // leaves without waiting for them), then the hub's destructor kills what is left.
  stop_all_users();
  const auto until = green::clock::now() + scenario_->http.timeout;
  while (running_ > 0 && green::clock::now() < until && !leave_without_grace_)
    green::sleep(std::chrono::milliseconds(5));
  if (scripts) scripts->close_hub_objects();  // sockets Lua still holds, while the hub lives
  if (on_left_) on_left_();
}

void hub_thread::start_run(std::shared_ptr<stats::name_admission> names) {
  stats_.take_delta();
  exceptions_.take_delta();
  stats_.share_admission(names);
  // The tables of the run before stay with its users still alive, and go with the last.
  run_ = std::make_shared<run_tables>();
  run_->stats.cap_names(stats::worker_name_cap(scenario_->stats.max_names));
  run_->stats.share_admission(std::move(names));
}

stats::stats_table hub_thread::take_delta() {
  stats::stats_table delta = run_->stats.take_delta();
  delta.merge(stats_.take_delta());
  return delta;
}

stats::exception_table hub_thread::take_exceptions() {
  stats::exception_table delta = run_->exceptions.take_delta();
  delta.merge(exceptions_.take_delta());
  return delta;
}

void hub_thread::set_run(worker_identity identity, std::vector<std::shared_ptr<unique_rows>> rows,
                         std::shared_ptr<const std::string> setup_data) {
  identity_ = identity;
  rows_ = std::move(rows);
  if (scripts_ == nullptr) return;
  scripts_->set_worker_place(identity.index, identity.count);
  try {
    scripts_->set_setup_data(setup_data ? *setup_data : std::string());
  } catch (const script::script_error& e) {
    // Users made from now on see no u.setup; the error says why, once per run's data.
    stats_.entry(script::script_error_type, "u.setup").record(0, 0, true);
    stats_.record_error(script::script_error_type, "u.setup", e.what());
  }
}

user_options hub_thread::options_of(std::uint64_t user_id, std::size_t class_index) {
  user_options o;
  o.user_id = user_id;
  o.seed = mixed(mixed(seed_base_ ^ user_id) + users_started_++);
  o.identity = &identity_;
  if (class_index < rows_.size()) o.rows = rows_[class_index];
  return o;
}

void hub_thread::start_user(std::size_t class_index, std::uint64_t user_id) {
  launch_user(class_index, user_id, false);
}

const script::user_class* hub_thread::class_of(std::size_t class_index) {
  const config::user_spec& spec = scenario_->users.at(class_index);
  auto cls = classes_.find(class_index);
  if (cls != classes_.end()) return &cls->second;
  // The master loaded this class before the test began; a failure here (out of heap) is the
  // worker's, and is counted like any script error.
  try {
    return &classes_.emplace(class_index, script::load_user_class(*scripts_, spec.script))
                .first->second;
  } catch (const script::script_error& e) {
    record_script_error(stats_, exceptions_, spec.script, e.what());
    return nullptr;
  }
}

void hub_thread::record_script_error(stats::stats_table& stats, stats::exception_table& exceptions,
                                     const std::string& script, const std::string& message) {
  stats.entry(script::script_error_type, script).record(0, 0, true);
  stats.record_error(script::script_error_type, script, message);
  exceptions.record(message, "");
}

open_user* hub_thread::launch_user(std::size_t class_index, std::uint64_t user_id,
                                   bool open_model) {
  user_options o = options_of(user_id, class_index);
  const config::user_spec& spec = scenario_->users.at(class_index);
  live_user user;
  user.tables = run_;
  o.stats = &run_->stats;
  o.exceptions = &run_->exceptions;
  if (spec.script.empty()) {
    user.runner = std::make_unique<user_runner>(*scenario_, spec, run_->stats, tls_, o);
  } else {
    const script::user_class* cls = class_of(class_index);
    if (cls == nullptr) return nullptr;
    user.scripted = std::make_unique<script_user>(*scenario_, spec, *scripts_, *cls, tls_, o);
  }
  auto& list = users_[class_index];
  list.push_back(std::move(user));
  auto it = std::prev(list.end());
  by_id_[user_id] = it;
  peak_users_ = std::max(peak_users_, static_cast<int>(by_id_.size()));
  ++running_;
  green::spawn_n([this, class_index, it, open_model] {
    struct on_exit {
      hub_thread& self;
      std::size_t cls;
      std::list<live_user>::iterator user;
      bool open_model;
      ~on_exit() {
        --self.running_;
        const open_user& u = user->as_open();
        const std::uint64_t id = u.id();
        const bool stop_asked = user->stop_asked;  // read before the user is erased below
        const bool ran_out = u.ran_out_of_rows() && !stop_asked;
        if (open_model) self.arrivals_.user_gone(u);
        if (auto found = self.by_id_.find(id); found != self.by_id_.end() && found->second == user)
          self.by_id_.erase(found);
        self.users_[cls].erase(user);
        // What a scripted user held (its sw.connect sockets) goes only when Lua collects it,
        // where Python's reference counts close a Locust user's at its end: a stopped test
        // held every connection, and the descriptors its report files need (`swarmlet run`).
        if (self.running_ == 0 && self.scripts_ != nullptr && self.scripts_->holds_hub_objects())
          self.scripts_->collect_garbage();
        if ((ran_out || stop_asked) && self.on_user_ended_) self.on_user_ended_(id, ran_out);
      }
    } cleanup{*this, class_index, it, open_model};
    const auto idle = [this, it] { arrivals_.on_idle(it->as_open()); };
    if (it->runner) {
      if (open_model) {
        it->runner->run_open(idle);
      } else {
        it->runner->run();
      }
      return;
    }
    try {
      if (open_model) {
        it->scripted->run_open(idle);
      } else {
        it->scripted->run();
      }
    } catch (const script::script_error& e) {  // Lua could not make the user (out of heap)
      // In the user's run's tables: a user of a run that is over counts in no later run.
      record_script_error(it->tables->stats, it->tables->exceptions, it->scripted->spec().script,
                          e.what());
    }
  });
  return &it->as_open();
}

void hub_thread::stop_user(std::uint64_t user_id) {
  auto it = by_id_.find(user_id);
  if (it == by_id_.end() || it->second->stop_asked) return;
  it->second->stop();
}

proto::id_ranges hub_thread::live_user_ids() const {
  proto::id_ranges out;
  for (const auto& [id, user] : by_id_) out.insert(id);
  return out;
}

void hub_thread::set_arrival(const config::arrival_plan& plan, const proto::id_ranges& user_ids) {
  arrivals_.set_plan(plan, user_ids);
}

void hub_thread::stop_all_users() {
  arrivals_.stop();
  for (auto& [cls, list] : users_)
    for (auto& u : list) u.stop();
}

}  // namespace swarmlet::worker
