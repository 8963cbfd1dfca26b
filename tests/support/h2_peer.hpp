#pragma once
// Node.js's http2 module as a real HTTP/2 peer for tests (tests/support/h2_peer.mjs): an h2c
// server on a free loopback port that counts the sessions and streams it served, and answers
// a count query on a plain HTTP/1.1 control port. Stopped when the fixture goes.
#include <cstdint>
#include <memory>
#include <string>

namespace swarmlet::testing_support {

class process;

struct h2_peer_counts {
  std::uint64_t sessions = 0;  ///< connections the server accepted
  std::uint64_t streams = 0;   ///< streams it received
  std::uint64_t answered = 0;  ///< streams it answered
  std::uint64_t resets = 0;    ///< streams it reset (/rst); raw modes: RST_STREAMs it received
  std::uint64_t goaways = 0;   ///< sessions it ended with GOAWAY (/goaway)
  std::uint64_t max_concurrent = 0;  ///< most streams open at once on one session
  /// SETTINGS_MAX_HEADER_LIST_SIZE of the last client (header_bomb only; 0: none was sent).
  std::uint64_t client_max_header_list = 0;
};

enum class h2_peer_mode {
  h2c,           ///< Node's http2 server (its paths: h2_peer.mjs)
  oversize,      ///< a raw server that answers every client with an oversize frame
  header_bomb,   ///< a raw server that answers every stream with 400 KB of header fields in 4 KB
  early_answer,  ///< a raw server that answers a whole 413 before a request's body is sent
  no_streams,    ///< a raw server whose SETTINGS_MAX_CONCURRENT_STREAMS is 0
  head_only,     ///< a raw server that answers each request with a head and nothing more
  status_000,    ///< a raw server that answers each request :status 000, and ends the stream
};

class h2_peer {
 public:
  /// Whether Node.js is installed (tests skip with this reason otherwise).
  static bool available();
  explicit h2_peer(h2_peer_mode mode = h2_peer_mode::h2c);
  ~h2_peer();
  h2_peer(const h2_peer&) = delete;
  h2_peer& operator=(const h2_peer&) = delete;

  /// `http://127.0.0.1:PORT` (h2c: by prior knowledge only).
  const std::string& url() const noexcept { return url_; }
  /// What the server did so far, as it counted it.
  h2_peer_counts counts() const;

 private:
  std::unique_ptr<process> node_;
  std::string url_;
  std::string control_;
};

}  // namespace swarmlet::testing_support
