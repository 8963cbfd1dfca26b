#pragma once
// The master's file descriptors: each worker holds two of its connections (control and stats),
// the report files and the web UI's clients need more. Out of them, libzmq cannot accept a
// connection (tcp_listener: EMFILE is a failed accept, not an abort; the listener stays readable,
// so its I/O thread retries at once, busy, until a descriptor is free), and the report files
// cannot be written; so the master watches how many it has left.
#include <cstddef>

namespace swarmlet::master {

struct descriptor_use {
  std::size_t open = 0;
  std::size_t limit = 0;  ///< the soft RLIMIT_NOFILE
  std::size_t left() const noexcept { return open < limit ? limit - open : 0; }
};

/// This process's open descriptors and its limit. When it cannot even list them (no descriptor
/// left to open /proc/self/fd with), `open` is the limit. Costs a directory entry per open
/// descriptor: with thousands of workers, listing them once a second was a tenth of the
/// master's CPU.
descriptor_use descriptors_now();

/// Whether `wanted` more descriptors can be opened: as descriptors_now().left() >= wanted, but
/// without listing them while the process's descriptor table (which holds every open one, and
/// only grows) leaves `wanted` below the limit.
bool descriptors_left(std::size_t wanted);

}  // namespace swarmlet::master
