#include "user_context.hpp"

#include "common/green/hub.hpp"
#include "common/green/timeout.hpp"
#include "common/stats/stats_table.hpp"
#include "spawned_error.hpp"

namespace swarmlet::script {

namespace {

void record(const pending_response& p) {
  if (p.entry == nullptr) return;
  if (p.scheduled) {
    p.entry->record_scheduled(p.elapsed_us, p.service_us, p.bytes, !p.default_failure.empty());
  } else {
    p.entry->record(p.elapsed_us, p.bytes, !p.default_failure.empty());
  }
  if (!p.default_failure.empty() && p.table != nullptr)
    p.table->record_error(p.method, p.name, p.default_failure);
}

}  // namespace

void user_context::settle() {
  std::vector<pending_response> all = std::move(pending);
  pending.clear();
  for (const auto& p : all) record(p);
}

void user_context::settle(const void* thread) {
  for (auto it = pending.begin(); it != pending.end(); ++it)
    if (it->thread == thread) {
      const pending_response p = std::move(*it);
      pending.erase(it);
      record(p);
      return;  // one per thread
    }
}

pending_response* user_context::pending_numbered(std::uint64_t sequence) {
  for (auto& p : pending)
    if (p.sequence == sequence) return &p;
  return nullptr;
}

http::client& user_context::acquire(std::string_view target, bool& exclusive) {
  if (!main_) main_ = make_client();
  exclusive = false;
  // Any number of HTTP/2 streams share main_, beside at most one HTTP/1.1 exchange (its
  // buffers are the client's own).
  if (main_->multiplexes(target)) return *main_;
  if (!main_exclusive_) {
    main_exclusive_ = exclusive = true;
    return *main_;
  }
  if (idle_.empty()) {
    extra_.push_back(make_client());
    idle_.push_back(extra_.back().get());
  }
  http::client* c = idle_.back();
  idle_.pop_back();
  return *c;
}

stats::request_stats& user_context::entry_of(stats::stats_table& table, const std::string& method,
                                             const std::string& name) {
  for (const auto& e : entries_)
    if (e.name == name && e.method == method) return *e.entry;
  stats::request_stats& e = table.entry(method, name);
  if (entries_.size() < 64) entries_.push_back({method, name, &e});
  return e;
}

void user_context::await_requests(green::duration bound) {
  green::with_timeout(bound, [this] {
    while (requests_in_flight > 0) {
      request_ended.reset();
      request_ended.wait();
    }
  });
}

void user_context::stop_and_await_requests(green::duration bound) {
  if (requests_in_flight == 0 || stopping == nullptr) return;
  if (!stopping->ready()) stopping->send();
  await_requests(bound);
}

void user_context::kill_children() {
  green::hub* h = green::hub::current();
  if (h == nullptr || h->current_thread() == nullptr) {  // off the hub's threads: none runs now
    for (auto& t : children) t.kill_soon();
    children.clear();
    return;
  }
  // Every kill is pending before any of them runs: killed one by one, a thread waiting on one
  // killed before it woke and ran before its own kill reached it, and went on past its user's
  // end (a crash once the user was freed). Those their unwinding spawns are killed in turn.
  while (!children.empty()) {
    std::vector<green::green_thread<void>> ending;
    ending.swap(children);
    // Killed itself while it waits, this thread leaves those not ended yet to the next end
    // (~scripted_user's), not forgotten while they still hold the user.
    struct keep_unended {
      std::vector<green::green_thread<void>>& ending;
      std::vector<green::green_thread<void>>& children;
      ~keep_unended() {
        for (auto& t : ending)
          if (!t.dead()) children.push_back(t);
      }
    } keep{ending, children};
    for (auto& t : ending) t.kill_soon();
    for (auto& t : ending) t.join();
  }
}

void user_context::end_children() {
  kill_children();
  // After the kills: a thread killed now ends with no error of its own.
  for (auto& e : untaken_errors) e->count_if_untaken();
  untaken_errors.clear();
}

void user_context::keep_untaken(std::shared_ptr<spawned_error> error) {
  // Those taken or counted go now and then (a user's tasks may spawn for hours).
  if (untaken_errors.size() >= 64 && untaken_errors.size() == untaken_errors.capacity())
    std::erase_if(untaken_errors, [](const auto& e) { return e->settled(); });
  untaken_errors.push_back(std::move(error));
}

}  // namespace swarmlet::script
