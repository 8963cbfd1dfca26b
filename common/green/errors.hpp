#pragma once
// The exceptions of the green layer: what a green thread may see thrown at a park point.
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace swarmlet::green {

/// Thrown inside a green thread by `kill()`; unwinds its stack (and RAII) like eventlet's
/// GreenletExit. A thread that ends with it counts as killed, not failed: it is never reported.
struct green_exit {};

/// Thrown when the hub is used in a way that cannot work; the message says what to do instead.
class hub_misuse : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

class timeout;

/// Thrown by a `timeout` scope at the park point of the green thread it guards.
/// `source()` tells which (possibly nested) timeout expired.
class timeout_error : public std::runtime_error {
 public:
  /// `why`: what the timeout bounded, said instead of "timed out" when given.
  explicit timeout_error(const timeout* source, const std::string& why = {})
      : std::runtime_error(why.empty() ? "timed out" : why), source_(source) {}
  const timeout* source() const noexcept { return source_; }

 private:
  const timeout* source_;
};

/// A blocking call whose own deadline passed (socket, queue with a timeout argument, ...).
class operation_timed_out : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A host name the resolver could not turn into an address; what() is one line naming the
/// name and the resolver's reason, e.g. "resolve nosuch.invalid: Name or service not known".
class resolve_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// What a socket that found no file descriptor free (EMFILE, ENFILE) says, wherever a caller
/// puts it (a script's error keeps it whole): the generator's limit, not the target's.
inline constexpr std::string_view no_descriptor_says =
    "no file descriptor left for a connection: raise the open-file limit (ulimit -n)";

/// A connect that found no local port free (EADDRNOTAVAIL with the address's family in use
/// here): every port of net.ipv4.ip_local_port_range is held by a connection to that address.
/// The generator's own limit, not the target's.
class no_local_port : public std::system_error {
 public:
  using std::system_error::system_error;
  /// What its message says, wherever a caller puts it (a script's error keeps it whole): how
  /// the master tells the generator's limit from the target's.
  static constexpr std::string_view says = "no local port of net.ipv4.ip_local_port_range";
};

/// Thrown by a `serve()` handler to stop the server loop (eventlet's StopServe).
struct stop_serve {};

}  // namespace swarmlet::green
