#pragma once
// A cursor over msgpack bytes that reads each value where it lies, without building an object
// tree first: the stats plane's hot path (stats_frame.cpp) reads a report this way. Every read
// checks the bounds and the type, and throws wire_error naming what it expected; it never reads
// past the end, and never allocates.
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

namespace swarmlet::proto {

/// Bytes that are not what the wire format says at this place.
class wire_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class msgpack_reader {
 public:
  msgpack_reader(const void* data, std::size_t size)
      : p_(static_cast<const unsigned char*>(data)), end_(p_ + size) {}

  bool at_end() const noexcept { return p_ == end_; }

  /// An array header: the number of elements that follow.
  std::uint32_t array(const char* what) {
    const unsigned char b = byte(what);
    if ((b & 0xf0) == 0x90) return b & 0x0f;
    if (b == 0xdc) return static_cast<std::uint32_t>(be(2, what));
    if (b == 0xdd) return static_cast<std::uint32_t>(be(4, what));
    fail(what, "is not an array");
  }
  /// An array header that must say `n` elements.
  void array_of(std::uint32_t n, const char* what) {
    if (array(what) != n) fail(what, ("must be an array of " + std::to_string(n)).c_str());
  }
  /// A map header: the number of key/value pairs that follow.
  std::uint32_t map(const char* what) {
    const unsigned char b = byte(what);
    if ((b & 0xf0) == 0x80) return b & 0x0f;
    if (b == 0xde) return static_cast<std::uint32_t>(be(2, what));
    if (b == 0xdf) return static_cast<std::uint32_t>(be(4, what));
    fail(what, "is not a map");
  }
  /// A non-negative integer (msgpack's positive fixint and uint 8/16/32/64, or a signed int
  /// holding a non-negative value, as some packers write).
  std::uint64_t u64(const char* what) {
    const unsigned char b = byte(what);
    if (b <= 0x7f) return b;
    switch (b) {
      case 0xcc:
        return be(1, what);
      case 0xcd:
        return be(2, what);
      case 0xce:
        return be(4, what);
      case 0xcf:
        return be(8, what);
      case 0xd0:
      case 0xd1:
      case 0xd2:
      case 0xd3: {
        const std::int64_t v = signed_int(b, what);
        if (v < 0) fail(what, "is not a non-negative integer");
        return static_cast<std::uint64_t>(v);
      }
      default:
        fail(what, "is not a non-negative integer");
    }
  }
  /// A number: msgpack's float 32/64 or any integer (packers write whole numbers, even those
  /// held in a double, as integers). NaN passes: callers check the range they accept.
  double real(const char* what) {
    need(1, what);
    const unsigned char b = *p_;
    if (b == 0xca) {
      ++p_;
      const auto bits = static_cast<std::uint32_t>(be(4, what));
      float f;
      std::memcpy(&f, &bits, sizeof f);
      return f;
    }
    if (b == 0xcb) {
      ++p_;
      const std::uint64_t bits = be(8, what);
      double d;
      std::memcpy(&d, &bits, sizeof d);
      return d;
    }
    if (b >= 0xe0) {  // negative fixint
      ++p_;
      return static_cast<double>(static_cast<std::int8_t>(b));
    }
    if (b >= 0xd0 && b <= 0xd3) {
      ++p_;
      return static_cast<double>(signed_int(b, what));
    }
    if (b <= 0x7f || (b >= 0xcc && b <= 0xcf)) return static_cast<double>(u64(what));
    fail(what, "is not a number");
  }
  bool boolean(const char* what) {
    const unsigned char b = byte(what);
    if (b == 0xc2 || b == 0xc3) return b == 0xc3;
    fail(what, "is not a boolean");
  }
  /// A string of at most `max` bytes, as a view into the buffer.
  std::string_view str(const char* what, std::size_t max) {
    const unsigned char b = byte(what);
    std::size_t n = 0;
    if ((b & 0xe0) == 0xa0) {
      n = b & 0x1f;
    } else if (b == 0xd9) {
      n = be(1, what);
    } else if (b == 0xda) {
      n = be(2, what);
    } else if (b == 0xdb) {
      n = be(4, what);
    } else {
      fail(what, "is not a string");
    }
    if (n > max) fail(what, "is too long");
    need(n, what);
    std::string_view out(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return out;
  }

 private:
  [[noreturn]] static void fail(const char* what, const char* why) {
    throw wire_error(std::string(what) + " " + why);
  }
  void need(std::size_t n, const char* what) const {
    if (static_cast<std::size_t>(end_ - p_) < n) fail(what, "is cut short");
  }
  unsigned char byte(const char* what) {
    need(1, what);
    return *p_++;
  }
  /// The value of msgpack's int 8/16/32/64 whose type byte `b` (0xd0-0xd3) was just read.
  std::int64_t signed_int(unsigned char b, const char* what) {
    const int n = 1 << (b - 0xd0);
    const int shift = 64 - 8 * n;  // sign-extends the n bytes
    return static_cast<std::int64_t>(be(n, what) << shift) >> shift;
  }
  /// `n` bytes, big-endian.
  std::uint64_t be(int n, const char* what) {
    need(static_cast<std::size_t>(n), what);
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = v << 8 | p_[i];
    p_ += n;
    return v;
  }

  const unsigned char* p_;
  const unsigned char* end_;
};

}  // namespace swarmlet::proto
