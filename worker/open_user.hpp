#pragma once
// What the open model's scheduler (arrival_scheduler) needs of a user, YAML (user_runner) or
// scripted (script_user): it hands an idle user its next iteration, and stops users.
#include <cstdint>
#include <functional>
#include <optional>
#include <utility>

#include "common/green/clock.hpp"
#include "common/green/event.hpp"

namespace swarmlet::worker {

class open_user {
 public:
  /// Gives an idle user its next iteration, intended to start at `intended`.
  virtual void assign(green::time_point intended) = 0;
  /// Asks the user to stop at its next task boundary or wait (an idle one leaves at once).
  virtual void stop() = 0;
  virtual bool stopping() const noexcept = 0;
  /// The user ended on its own: its unique data had no row left for it (not asked to stop).
  virtual bool ran_out_of_rows() const noexcept = 0;
  /// It ran out of rows with an iteration assigned to it, which then never ran: the scheduler
  /// counts it as dropped (as the iterations due after the last row are).
  virtual bool dropped_its_arrival() const noexcept = 0;
  /// Its class's lease has no row left (another user of it found none): stops the user as one
  /// that ran out of rows, unless it holds a row it has not used yet (taken for on_start),
  /// which its next iteration uses. Whether it stopped.
  virtual bool stop_if_rowless() = 0;
  virtual std::uint64_t id() const noexcept = 0;

 protected:
  ~open_user() = default;
};

/// An open-model user's side of the hand-over: the iteration assigned to it, and the event that
/// wakes it when idle (for an iteration, or to stop).
class open_turns {
 public:
  void assign(green::time_point intended) {
    assigned_ = intended;
    if (!work_.ready()) work_.send();
  }
  /// Wakes an idle user (to stop).
  void wake() {
    if (!work_.ready()) work_.send();
  }
  /// The next iteration's intended start: the one assigned already, else, after calling
  /// `idle` (the user is ready), the next one assigned; none when woken without one.
  std::optional<green::time_point> next(const std::function<void()>& idle) {
    if (!assigned_) {
      work_.reset();
      idle();
      work_.wait();
    }
    return std::exchange(assigned_, std::nullopt);
  }

 private:
  std::optional<green::time_point> assigned_;
  green::event<> work_;
};

}  // namespace swarmlet::worker
