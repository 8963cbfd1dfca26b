#pragma once
// Buffered reading over a green stream (eventlet's makefile('rb')): lines and exact counts.
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include "stream.hpp"

namespace swarmlet::green {

/// The stream ended before the bytes asked for arrived (eventlet's IncompleteRead).
class incomplete_read : public std::runtime_error {
 public:
  incomplete_read(std::size_t wanted, std::size_t got)
      : std::runtime_error("stream ended after " + std::to_string(got) + " of " +
                           std::to_string(wanted) + " bytes") {}
};

class buffered_reader {
 public:
  explicit buffered_reader(stream& source, std::size_t buffer_size = 16 * 1024)
      : source_(source), buffer_(buffer_size) {}

  /// The next line, '\n' included; the remainder without one at end of stream; "" after it.
  /// A line longer than `max_length` is returned in pieces of `max_length` bytes.
  std::string readline(std::size_t max_length = 64 * 1024);
  /// Exactly `n` bytes; throws incomplete_read if the stream ends first.
  std::string read_exactly(std::size_t n);
  /// What is buffered, or else what one read of the stream brings; "" at end of stream.
  std::string read_some();

 private:
  bool fill();  // false at end of stream
  stream& source_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

}  // namespace swarmlet::green
