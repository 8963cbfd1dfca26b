#include "process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace swarmlet::testing_support {
namespace {
std::string make_temp_dir(const std::string& under) {
  std::string pattern = under + "/swarmlet-test-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

// Every file these helpers make lives below one directory per test process, removed when that
// process exits normally. One directory per child process or temporary file, never removed, had
// left 41,682 of them in this machine's /tmp. A failing test shows a child's output in its own log;
// SWARMLET_KEEP_TEST_FILES=1 keeps the files to look at.
class scratch_root {
 public:
  scratch_root() {
    const char* base = std::getenv("TMPDIR");
    path_ = make_temp_dir(base != nullptr && *base != '\0' ? base : "/tmp");
  }
  ~scratch_root() {
    // A forked child that exits normally runs this too: only the process that made it removes it.
    if (::getpid() != owner_) return;
    if (const char* keep = std::getenv("SWARMLET_KEEP_TEST_FILES");
        keep != nullptr && std::string(keep) == "1") {
      std::fprintf(stderr, "this test's files are kept in %s\n", path_.c_str());
      return;
    }
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  scratch_root(const scratch_root&) = delete;
  scratch_root& operator=(const scratch_root&) = delete;
  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
  pid_t owner_ = ::getpid();
};

std::string temp_dir() {
  static const scratch_root root;
  return make_temp_dir(root.path());
}
}  // namespace

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> in_own_network_namespace(const std::vector<std::string>& argv) {
  std::vector<std::string> out{"/usr/bin/unshare", "--net"};
  if (::geteuid() != 0) out.insert(out.begin() + 1, {"--user", "--map-root-user"});
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

std::string script_with_ports_and_target(const std::string& port_range, const std::string& body) {
  return R"(
ip link set lo up || { echo "SKIP: ip link set lo up failed"; exit 77; }
echo ")" +
         port_range +
         R"(" > /proc/sys/net/ipv4/ip_local_port_range ||
  { echo "SKIP: the namespace's port range cannot be set"; exit 77; }
coproc target { exec "$1" target --port 8080 --threads 1; }
# Its first line says it listens; nothing (it failed to start) ends the test here.
if ! read -r listening <&"${target[0]}" || [[ $listening != *listening* ]]; then
  echo "the target did not start: '$listening'" >&2
  exit 3
fi
)" + body +
         R"(
kill "$target_PID"
wait "$target_PID"
exit $code
)";
}

std::string write_temp_file(const std::string& name, const std::string& content) {
  const std::string path = temp_dir() + "/" + name;
  std::ofstream(path) << content;
  return path;
}

process::process(std::vector<std::string> argv, std::vector<std::string> env) {
  const std::string dir = temp_dir();
  out_file_ = dir + "/stdout";
  err_file_ = dir + "/stderr";
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    const int out = ::open(out_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = ::open(err_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(out, 1);
    ::dup2(err, 2);
    for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
}

process::~process() {
  if (!exited_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

std::string process::wait_for_line_in(const std::string& file, const std::string& text,
                                      std::chrono::seconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    // Only whole lines: a process may be caught between two writes of one line.
    std::string text_so_far = read_file(file);
    text_so_far.erase(text_so_far.rfind('\n') + 1);
    std::istringstream lines(text_so_far);
    for (std::string line; std::getline(lines, line);)
      if (line.find(text) != std::string::npos) return line;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the poll of a file, not a wait
  }
  return {};
}

std::string process::wait_for_line(const std::string& text, std::chrono::seconds deadline) {
  return wait_for_line_in(out_file_, text, deadline);
}

std::string process::wait_for_err_line(const std::string& text, std::chrono::seconds deadline) {
  return wait_for_line_in(err_file_, text, deadline);
}

void process::signal(int sig) {
  if (!exited_) ::kill(pid_, sig);
}

int process::wait(std::chrono::seconds deadline) {
  if (exited_) return code_;
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exited_ = true;
      code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return code_;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

std::string process::out() const {
  return read_file(out_file_);
}
std::string process::err() const {
  return read_file(err_file_);
}

run_result run_process(std::vector<std::string> argv, std::chrono::seconds deadline) {
  process p(std::move(argv));
  const int code = p.wait(deadline);
  return {code, p.out(), p.err()};
}

std::string talk_to_backdoor(const std::string& port, const std::vector<std::string>& lines) {
  std::vector<std::string> args{
      "/usr/bin/python3", "-c",
      "import socket,sys,time\n"
      "s=socket.create_connection(('127.0.0.1',int(sys.argv[1])))\n"
      "out=b''\n"
      "def answer():\n"
      "  global out\n"
      "  got=b''\n"
      "  while not got.endswith(b'> '):\n"
      "    d=s.recv(65536)\n"
      "    if not d: break\n"
      "    got+=d\n"
      "  out+=got\n"
      "  return got\n"
      "def talk():\n"
      "  global out\n"
      "  answer()\n"
      "  for l in sys.argv[2:]:\n"
      "    if l.startswith('until '):\n"
      "      text,cmd=l[6:].split('|',1)\n"
      "      for _ in range(200):\n"
      "        s.sendall((cmd+'\\n').encode())\n"
      "        if text.encode() in answer(): break\n"
      "        time.sleep(0.1)\n"
      "      continue\n"
      "    s.sendall((l+'\\n').encode())\n"
      "    if l in ('quit','exit'): break\n"
      "    answer()\n"
      "  while True:\n"
      "    d=s.recv(65536)\n"
      "    if not d: break\n"
      "    out+=d\n"
      "try:\n"
      "  talk()\n"
      "except OSError:\n"
      "  pass  # the process went (e.g. after stop): what it said stands\n"
      "print(out.decode())\n",
      port};
  args.insert(args.end(), lines.begin(), lines.end());
  return run_process(args).out;
}

}  // namespace swarmlet::testing_support
