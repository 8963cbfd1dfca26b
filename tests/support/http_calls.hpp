#pragma once
// HTTP from the integration tests to the processes they start: the URL a process printed, and
// requests through curl (a real client, nothing of swarmlet's own).
#include <string>
#include <utility>
#include <vector>

namespace swarmlet::testing_support {

/// The "http://HOST:PORT" in a line a process printed (without a trailing path); empty if none.
std::string url_in(const std::string& line);
/// The control and stats ports a master printed ("listening on tcp://127.0.0.1:C (stats
/// tcp://127.0.0.1:S)"); empty strings if none.
std::pair<std::string, std::string> master_ports_in(const std::string& line);
/// A loopback TCP port nobody uses now, and the `consecutive - 1` after it (a master given
/// --port P also takes P + 1), outside the kernel's ephemeral range (for a program that must be
/// given its port and may bind it only later).
int free_loopback_port(int consecutive = 1);

struct http_answer {
  int status = 0;  ///< 0: no answer
  std::string body;
};
/// One request; a body goes with `content_type`; `curl_args` are added as they are (e.g. -u).
http_answer http_call(const std::string& method, const std::string& url,
                      const std::string& body = "",
                      const std::string& content_type = "application/json",
                      const std::vector<std::string>& curl_args = {});

}  // namespace swarmlet::testing_support
