#pragma once
// SIGINT/SIGTERM as something a green thread can wait for (a signalfd on the hub), so Ctrl-C
// stops a test cleanly: stop, flush, report, exit code.
#include <initializer_list>

#include "common/green/watched_fd.hpp"

namespace swarmlet::app {

/// Blocks `signals` for this thread and every thread started after; call first thing in main.
void block_signals(std::initializer_list<int> signals);

class signal_watch {
 public:
  /// A signalfd for `signals` on this thread's hub (block them first: block_signals).
  explicit signal_watch(std::initializer_list<int> signals);
  /// Parks the calling green thread until one of the signals arrives; returns its number.
  int wait();

 private:
  green::watched_fd fd_;
};

}  // namespace swarmlet::app
