#pragma once
// SIGINT/SIGTERM as something a green thread can wait for (a signalfd on the hub), so Ctrl-C
// stops a test cleanly: stop, flush, report, exit code.
#include <initializer_list>

#include "common/green/io_watch.hpp"

namespace swarmlet::app {

/// Blocks `signals` for this thread and every thread started after; call first thing in main.
void block_signals(std::initializer_list<int> signals);

class signal_watch {
 public:
  explicit signal_watch(std::initializer_list<int> signals);
  ~signal_watch();
  signal_watch(const signal_watch&) = delete;
  signal_watch& operator=(const signal_watch&) = delete;
  /// Parks the calling green thread until one of the signals arrives; returns its number.
  int wait();

 private:
  green::io_watch watch_;
};

}  // namespace swarmlet::app
