#pragma once
// CURVE keys for the links between master and workers (ZeroMQ's CurveZMQ): the master's key pair
// encrypts both planes; its public key is what a worker must know to connect; an allow-list of
// worker public keys makes it authentication too. Keys are Z85 text of 40 characters, as ZeroMQ
// prints them. Key files are small text files:
//   NAME.key   public-key = <Z85>  and  secret-key = <Z85>   (mode 0600)
//   NAME.pub   <Z85>                                       (share this one)
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace swarmlet::proto {

struct curve_keypair {
  std::string public_key;
  std::string secret_key;
};

/// A key file (or key) that cannot be used; what() names the file and line.
class key_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// 40 characters of Z85 that decode to a 32-byte key.
bool is_z85_key(std::string_view text);
curve_keypair generate_curve_keypair();
/// Writes BASE.key (mode 0600) and BASE.pub; refuses to replace existing files. Throws key_error.
void write_curve_key_files(const std::string& base, const curve_keypair& keys);
/// Reads a .key file. Throws key_error.
curve_keypair read_curve_keypair(const std::string& file);
/// Public keys, one a line (a line starting with '#' that is not a key is a comment; a .pub file
/// is such a list of one). Throws key_error.
std::vector<std::string> read_public_keys(const std::string& file);
/// A public key given as itself, or as a file holding exactly one. Throws key_error.
std::string public_key_from(const std::string& key_or_file);

}  // namespace swarmlet::proto
