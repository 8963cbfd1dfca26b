#include "curve_keys.hpp"

#include <sys/stat.h>
#include <zmq.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace swarmlet::proto {
namespace {

/// Why the last file operation failed, as the OS said it ("No such file or directory"): a
/// folder that is not there and a read-only disk were both a bare "cannot write".
std::string os_reason() {
  return errno != 0 ? std::strerror(errno) : "no reason given";
}

std::string trim(std::string s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
}

std::ifstream open_key_file(const std::string& file) {
  // A FIFO would block the open, a device be read without end: key files are regular files.
  std::error_code ec;
  const auto status = std::filesystem::status(file, ec);
  if (std::filesystem::exists(status) && !std::filesystem::is_regular_file(status))
    throw key_error(file + ": not a regular file (a key file is one)");
  std::ifstream in(file);
  if (!in) throw key_error(file + ": cannot read this key file: " + os_reason());
  return in;
}

}  // namespace

bool is_z85_key(std::string_view text) {
  if (text.size() != 40) return false;
  const std::string copy(text);  // zmq_z85_decode wants a terminated string
  unsigned char key[32];
  return zmq_z85_decode(key, copy.c_str()) != nullptr;
}

curve_keypair generate_curve_keypair() {
  char public_key[41], secret_key[41];
  if (zmq_curve_keypair(public_key, secret_key) != 0)
    throw key_error("this libzmq cannot make CURVE keys (built without libsodium?)");
  return {public_key, secret_key};
}

void write_curve_key_files(const std::string& base, const curve_keypair& keys) {
  for (const auto* ext : {".key", ".pub"})
    if (std::filesystem::exists(base + ext))
      throw key_error(base + ext + ": exists already; not replacing it");
  {
    // Made unreadable to others before the secret goes in.
    errno = 0;
    std::ofstream out(base + ".key");
    if (!out) throw key_error(base + ".key: cannot write: " + os_reason());
    ::chmod((base + ".key").c_str(), 0600);
    out << "# swarmlet CURVE key pair: keep this file secret; share " << base << ".pub\n"
        << "public-key = " << keys.public_key << "\nsecret-key = " << keys.secret_key << "\n";
    if (!out) throw key_error(base + ".key: cannot write: " + os_reason());
  }
  errno = 0;
  std::ofstream pub(base + ".pub");
  pub << keys.public_key << "\n";
  if (!pub) throw key_error(base + ".pub: cannot write: " + os_reason());
}

curve_keypair read_curve_keypair(const std::string& file) {
  auto in = open_key_file(file);
  curve_keypair keys;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    const auto eq = line.find('=');
    const std::string name = eq == std::string::npos ? line : trim(line.substr(0, eq));
    const std::string value = eq == std::string::npos ? "" : trim(line.substr(eq + 1));
    const std::string where = file + ":" + std::to_string(n) + ": ";
    if (name != "public-key" && name != "secret-key")
      throw key_error(where + "expected 'public-key = KEY' or 'secret-key = KEY'");
    if (!is_z85_key(value)) throw key_error(where + name + " is not a 40-character Z85 key");
    (name == "public-key" ? keys.public_key : keys.secret_key) = value;
  }
  if (keys.public_key.empty() || keys.secret_key.empty())
    throw key_error(
        file + ": a key file holds public-key and secret-key (make one with `swarmlet keygen`)");
  // The public key is the secret's: one of another pair (edited, or pasted from another file)
  // was announced and shared, and no peer given it could ever complete a handshake.
  char derived[41];
  if (zmq_curve_public(derived, keys.secret_key.c_str()) == 0 && keys.public_key != derived)
    throw key_error(file + ": public-key is not the one of this secret-key (its own is " + derived +
                    "): make the pair again with `swarmlet keygen`");
  return keys;
}

std::vector<std::string> read_public_keys(const std::string& file) {
  auto in = open_key_file(file);
  std::vector<std::string> keys;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    line = trim(line);
    // Z85 has '#' too: a line is a comment when it starts with '#' and is not a key.
    if (line.empty() || (line[0] == '#' && !is_z85_key(line))) continue;
    if (!is_z85_key(line))
      throw key_error(file + ":" + std::to_string(n) + ": not a 40-character Z85 public key");
    keys.push_back(line);
  }
  return keys;
}

std::string public_key_from(const std::string& key_or_file) {
  if (is_z85_key(key_or_file) && !std::filesystem::exists(key_or_file)) return key_or_file;
  const auto keys = read_public_keys(key_or_file);
  if (keys.size() != 1) throw key_error(key_or_file + ": expected exactly one public key");
  return keys.front();
}

}  // namespace swarmlet::proto
