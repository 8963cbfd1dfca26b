#pragma once
#include <stdexcept>
#include <string>

namespace swarmlet::config {

/// Bad input in a scenario, a flag or an environment variable. what() is one line that names
/// where ("file:line:column: ...") and what was expected.
class config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace swarmlet::config
