#pragma once
// What the command line accepts, checked as a user would want to be told: numbers that are not
// numbers, Locust's log levels, the scenario file given positionally or with -f.
#include <CLI/CLI.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace swarmlet::app {

/// The version of this build (CMake's project(VERSION)).
std::string_view version() noexcept;
/// What `--version` prints: "swarmlet VERSION".
std::string version_line();

/// A CLI11 check that the value is a whole number ("-u abc": "'abc' is not a number"; "-u 1.5":
/// "'1.5' is not a whole number"). Put it before a range check, which then only sees numbers.
CLI::Validator whole_number();
/// A CLI11 check that the value is a finite number (decimals allowed), as whole_number().
CLI::Validator any_number();
/// A CLI11 check that the value is not empty: `--master-key ''` ran the worker unencrypted,
/// `-t ''` without a time limit, `--json ''` wrote no report, each without a word.
CLI::Validator not_empty();

/// The variables whose being set but empty would turn a protection off unseen: CLI11 takes an
/// empty variable for an unset one, and SWARMLET_MASTER_KEY= ran a worker unencrypted,
/// SWARMLET_CURVE_ALLOW= let every worker in, SWARMLET_WEB_TOKEN= opened the API (the flags
/// with '' are refused: not_empty()). Other variables stay unset when empty, as templated
/// environments (compose's ${USERS} with USERS unset) make them.
inline constexpr std::string_view protection_variables[] = {
    "SWARMLET_MASTER_KEY", "SWARMLET_CURVE_KEY", "SWARMLET_CURVE_ALLOW", "SWARMLET_WEB_TOKEN"};
/// Refuses (CLI::ValidationError, "SWARMLET_MASTER_KEY (--master-key): is empty: ...") an option
/// of `cmd` not given on the command line whose environment variable is one of `guarded` and is
/// set but empty. Called first in each command's callback.
void refuse_empty_environment(const CLI::App& cmd,
                              std::span<const std::string_view> guarded = protection_variables);

/// Locust's log levels. What each one prints is documented in README.md ("Log levels").
enum class log_level { debug, info, warning, error, critical };
/// DEBUG, INFO, WARNING (or WARN), ERROR, CRITICAL in any case; nothing for anything else.
std::optional<log_level> parse_log_level(std::string_view text);
/// A CLI11 check for --loglevel: "'LOUD' is not a log level (DEBUG, INFO, ...)".
CLI::Validator log_level_check();

/// A CLI11 check for a duration flag (--expect-workers-timeout): "'5x' is not a duration (e.g.
/// 30s, 5m, 1h30m)", named as every flag's error is (the variable's name when it came from one).
CLI::Validator duration_check();

/// Adds --version (every command has it) to `cmd`.
void add_version_flag(CLI::App& cmd);
/// Adds --loglevel (Locust's levels, any case; SWARMLET_LOGLEVEL) to `cmd`, parsed into `level`.
void add_log_level_flag(CLI::App& cmd, log_level& level);

/// The scenario file of `run` or `master`: the positional FILE or -f FILE, exactly one of them.
/// Returns the file, or throws std::invalid_argument with a one-line reason naming both when
/// both or neither were given.
std::string scenario_file_from(const std::string& positional, const std::string& option);

/// CLI11's error `message` ("--users: 'abc' is not a number") as the user should read it when
/// the value came from the flag's environment variable rather than `args` (the command line):
/// "SWARMLET_USERS (--users): 'abc' is not a number". Unchanged otherwise.
std::string with_env_source(const CLI::App& app, const std::string& message,
                            const std::vector<std::string>& args);

/// A worker's --master: HOST or HOST:PORT (port 5557 when not given), an IPv6 address in brackets.
struct master_address {
  std::string host;  ///< as ZeroMQ takes it: an IPv6 address keeps its brackets
  int port = 5557;
};
/// `text` read as a master_address; throws std::invalid_argument with a one-line reason ("'' is
/// empty", "'[::1' has no ']'"): a bad address used to be retried forever.
master_address master_address_from(const std::string& text);

}  // namespace swarmlet::app
