#pragma once
// A byte stream a green thread can block on: a plain socket or a TLS session over one.
#include <cstddef>
#include <span>
#include <string_view>

namespace swarmlet::green {

class stream {
 public:
  virtual ~stream() = default;
  /// Blocks until at least one byte is read, returning how many; 0 means the peer closed.
  virtual std::size_t read_some(std::span<char> buffer) = 0;
  /// Blocks until every byte of `data` is written.
  virtual void write_all(std::string_view data) = 0;
};

}  // namespace swarmlet::green
