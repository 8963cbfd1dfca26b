#include "http_calls.hpp"

#include <cstdlib>
#include <regex>

#include "process.hpp"

namespace swarmlet::testing_support {

std::string url_in(const std::string& line) {
  std::smatch m;
  return std::regex_search(line, m, std::regex(R"(http://[0-9a-zA-Z.\-]+:\d+)")) ? m[0].str()
                                                                                 : std::string();
}

http_answer http_call(const std::string& method, const std::string& url, const std::string& body,
                      const std::string& content_type, const std::vector<std::string>& curl_args) {
  std::vector<std::string> args{"/usr/bin/curl", "-s", "-w", "\n%{http_code}", "-X", method};
  args.insert(args.end(), curl_args.begin(), curl_args.end());
  if (!body.empty())
    args.insert(args.end(), {"-H", "Content-Type: " + content_type, "--data-binary", body});
  args.push_back(url);
  const auto out = run_process(args).out;
  const auto nl = out.rfind('\n');
  if (nl == std::string::npos) return {0, out};
  return {std::atoi(out.c_str() + nl + 1), out.substr(0, nl)};
}

}  // namespace swarmlet::testing_support
