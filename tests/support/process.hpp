#pragma once
// Real processes for integration tests: start a binary with arguments, read its output, signal
// it, wait for it (with a deadline, so a hung child fails the test instead of CI).
#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace swarmlet::testing_support {

class process {
 public:
  /// Starts `argv[0]` with `argv`; stdout and stderr are captured to files.
  explicit process(std::vector<std::string> argv, std::vector<std::string> env = {});
  ~process();  // kills it if still running
  process(const process&) = delete;
  process& operator=(const process&) = delete;

  /// Waits until stdout holds a whole line containing `text` (or the deadline); returns it.
  std::string wait_for_line(const std::string& text,
                            std::chrono::seconds deadline = std::chrono::seconds(20));
  /// The same on stderr (where master and worker log what happens to them).
  std::string wait_for_err_line(const std::string& text,
                                std::chrono::seconds deadline = std::chrono::seconds(20));
  void signal(int sig);
  /// Waits for the exit; returns the exit code (128+signal if killed; -1 on deadline).
  int wait(std::chrono::seconds deadline = std::chrono::seconds(120));
  std::string out() const;
  std::string err() const;
  pid_t pid() const noexcept { return pid_; }

 private:
  static std::string wait_for_line_in(const std::string& file, const std::string& text,
                                      std::chrono::seconds deadline);
  pid_t pid_ = -1;
  std::string out_file_, err_file_;
  bool exited_ = false;
  int code_ = -1;
};

/// Runs to completion; returns {exit code, stdout, stderr}.
struct run_result {
  int code;
  std::string out;
  std::string err;
};
run_result run_process(std::vector<std::string> argv,
                       std::chrono::seconds deadline = std::chrono::seconds(120));

/// `argv` run in a network namespace of its own (one with no interface up, loopback included),
/// as a user namespace's root when not root.
std::vector<std::string> in_own_network_namespace(const std::vector<std::string>& argv);

/// A bash script for in_own_network_namespace: brings loopback up, sets the namespace's local
/// port range to `port_range` ("40000 40001"), starts `swarmlet target` ($1) on 127.0.0.1:8080
/// and waits until it listens, runs `body` (which sets `code`), stops the target and exits
/// with `code`. Exits 77 (a test's cue to skip) where the namespace cannot be set up so.
std::string script_with_ports_and_target(const std::string& port_range, const std::string& body);

/// A conversation with a backdoor console on 127.0.0.1:`port`: sends each line and reads its
/// answer (up to the next prompt); a line "until TEXT|COMMAND" sends COMMAND again (every
/// 100 ms, for up to 20 s) until its answer holds TEXT. Returns everything the console said.
std::string talk_to_backdoor(const std::string& port, const std::vector<std::string>& lines);

/// A file in a fresh temporary directory with `content`; returns its path.
std::string write_temp_file(const std::string& name, const std::string& content);
std::string read_file(const std::string& path);

}  // namespace swarmlet::testing_support
