#pragma once
// The wire format: every message is one msgpack array [type, version, sender, payload]
// (Locust's rpc Message, with a version). The decoder trusts nothing: a bad frame yields a
// decode_error with a reason, never an exception or a crash.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "messages.hpp"

namespace swarmlet::proto {

// 2: heartbeats carry the worker's CPU, welcomes the stats port; 3: a spawn command carries the
// open model as one nested arrival plan; 4: welcomes carry the scenario's ${env.NAME} values and
// the --tags / --exclude-tags filter; spawn commands carry user ids, the worker's index and
// count and leases of data rows; stats reports the requests of the run's reports so far, the
// live user ids and the data rows used; 5: stats reports carry the users' exceptions and spawn
// commands carry setup()'s value (setup_data); 6: stats reports name their rows by number
// (stats_frame.hpp) and carry sparse histograms as bucket distances; the master's heartbeats say
// how many of the worker's names it knows in the run; 7: stats reports carry the worker's CPU
// and stand in for its heartbeat (a worker that reported within the last interval sends none);
// 8: a hello carries the worker process's incarnation, so that a new process under the id of
// one that died (a restart) is told from the same process saying hello again; 9: a worker that
// said goodbye sends heartbeats while its users drain for the final report, so that a master
// waiting for it tells a dead leaver from a slow one, and stats reports carry the most users
// the worker ran at once since its previous report; 10: an open-model plan is the whole test's,
// with its phase and its end, and says which of the test's hub threads are the worker's, so
// that every hub thread takes the schedule's arrivals in turn; 11: stats reports carry the
// worker process's incarnation, so that a dead process's late report is not taken for the
// report of the new process under its id, and spawn commands a delay before the ramp, so that
// the workers' ramps interleave; 12: the master tells its workers of a stats reset
// (reset_stats), and spawn commands and stats reports carry the run's resets, so that no
// report of requests from before a reset counts after it; 13: an error says which of the
// master's commands the worker refused (one it could not decode), so that the master waits for
// no final report of a spawn command that never ran; 14: stats reports say how busy the
// worker's hub threads were (the busiest one's CPU, and the longest its loop went without
// polling), so that the master warns when the generator's own delay is in the response times;
// 15: stats reports carry the worker's warnings (more users than its machine has local
// ports), so that the master says them where the user looks, not on a remote worker's console;
// 16: an open-model plan carries its number, so that a stage whose plan equals the one before
// runs anew rather than being taken for a renewal of the workers' data-row leases; 17: an
// open-model plan may have no arrival (a stage at rate 0 pauses), which a worker of 16 refused
inline constexpr std::uint16_t protocol_version = 17;

/// The most CPU a heartbeat or report may claim (100 per core): 4,096 cores.
inline constexpr double max_cpu_percent = 4096 * 100;

enum class message_type : std::uint8_t {
  hello = 1,      ///< worker -> master: I am here (and again after a reconnect)
  welcome = 2,    ///< master -> worker: registered; here is the scenario
  refused = 3,    ///< master -> worker: not registered (e.g. version mismatch), with the reason
  spawn = 4,      ///< master -> worker: absolute target (spawn_command)
  stop = 5,       ///< master -> worker: stop the run's users, send the final report
  quit = 6,       ///< master -> worker: exit
  heartbeat = 7,  ///< both ways
  stats = 8,      ///< worker -> master, on the stats plane (stats_report)
  goodbye = 9,    ///< worker -> master: leaving now (Ctrl-C)
  spawn_complete = 10,  ///< worker -> master: its users reached the last spawn target
  /// worker -> master: something failed on the worker (one line); master -> worker: it cannot
  /// take the worker now (e.g. out of file descriptors), which says hello again later
  error = 11,
  reset_stats = 12,  ///< master -> worker: the stats were reset (reset_payload)
};
inline constexpr std::uint8_t last_message_type = 12;
const char* to_string(message_type t) noexcept;

struct hello_payload {
  std::string host;
  std::int64_t pid = 0;
  int threads = 1;
  /// Drawn at random when the worker process starts, the same for each hello it says: a
  /// process restarted under the same --id (and in a container, often the same pid and host)
  /// numbers its reports and names from the start again. 0: not said.
  std::uint64_t incarnation = 0;
};

struct welcome_payload {
  std::string scenario_name;  ///< the file name, for messages
  std::string scenario_yaml;
  std::string target;  ///< the effective target (flags may override the file's)
  std::map<std::string, std::string> files;  ///< data files by the name the scenario uses
  int heartbeat_interval_ms = 1000;
  int stats_port = 0;  ///< where the master PULLs stats (0: not said), so a worker needs only its
                       ///< control address
  /// The ${env.NAME} values the master's scenario used: workers use them, not their own.
  std::map<std::string, std::string> environment;
  std::vector<std::string> tags, exclude_tags;  ///< the master's --tags / --exclude-tags
};

struct refused_payload {
  std::string reason;
};

struct stop_payload {
  std::uint64_t run_id = 0;
};

struct reset_payload {
  std::uint64_t run_id = 0;
  std::uint64_t resets = 0;  ///< the run's resets, this one included
};

struct heartbeat_payload {
  int users = 0;
  double cpu_percent = 0;  ///< the worker process's CPU since its last heartbeat (100: one core)
  /// master -> worker: in run `run_id` (0: none), the master knows the worker's request name
  /// numbers below `names_known` (report_names.hpp). 0 from a worker.
  std::uint64_t run_id = 0;
  std::uint32_t names_known = 0;
};

struct spawn_complete_payload {
  std::uint64_t run_id = 0;
  int users = 0;
};

struct error_payload {
  std::string text;
  /// Set by a worker that refused a message of its master's (it did not decode, or, for a
  /// welcome, the test it carries does not load there: the worker then exits): its type.
  std::optional<message_type> refused = std::nullopt;
};

struct empty_payload {};

using payload = std::variant<hello_payload, welcome_payload, refused_payload, spawn_command,
                             stop_payload, empty_payload, heartbeat_payload, stats_report,
                             spawn_complete_payload, error_payload, reset_payload>;

struct message {
  message_type type = message_type::heartbeat;
  std::uint16_t version = protocol_version;
  std::string sender;
  payload body = empty_payload{};
};

struct decode_error {
  std::string reason;
  std::uint16_t peer_version = 0;  ///< set when the frame was well-formed but of another version
  /// The message's type when its header could be read (a command too big to decode, say): the
  /// receiver can tell its sender which message it refused.
  std::optional<message_type> type = std::nullopt;
};

std::string encode(const message& m);
/// A message, or why the bytes are not one. Another protocol version is an error naming both,
/// except `refused`, whose shape never changes, so a peer of any version can read why.
std::variant<message, decode_error> decode(const void* data, std::size_t size);

/// Shorthands.
message make_message(message_type type, std::string sender, payload body = empty_payload{});

}  // namespace swarmlet::proto
