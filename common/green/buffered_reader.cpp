#include "buffered_reader.hpp"

#include <algorithm>
#include <cstring>

namespace swarmlet::green {

bool buffered_reader::fill() {
  if (begin_ == end_) {
    begin_ = end_ = 0;
  } else if (end_ == buffer_.size()) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  const std::size_t n =
      source_.read_some(std::span<char>(buffer_.data() + end_, buffer_.size() - end_));
  end_ += n;
  return n > 0;
}

std::string buffered_reader::readline(std::size_t max_length) {
  std::string line;
  for (;;) {
    const char* start = buffer_.data() + begin_;
    const std::size_t available = end_ - begin_;
    const std::size_t room = max_length - line.size();
    const void* nl = std::memchr(start, '\n', std::min(available, room));
    if (nl != nullptr) {
      const std::size_t take = static_cast<const char*>(nl) - start + 1;
      line.append(start, take);
      begin_ += take;
      return line;
    }
    const std::size_t take = std::min(available, room);
    line.append(start, take);
    begin_ += take;
    if (line.size() >= max_length) return line;
    if (!fill()) return line;
  }
}

std::string buffered_reader::read_exactly(std::size_t n) {
  std::string out;
  out.reserve(n);
  while (out.size() < n) {
    if (begin_ == end_ && !fill()) throw incomplete_read(n, out.size());
    const std::size_t take = std::min(n - out.size(), end_ - begin_);
    out.append(buffer_.data() + begin_, take);
    begin_ += take;
  }
  return out;
}

std::string buffered_reader::read_some() {
  if (begin_ == end_ && !fill()) return {};
  std::string out(buffer_.data() + begin_, end_ - begin_);
  begin_ = end_ = 0;
  return out;
}

}  // namespace swarmlet::green
