#include "zap_authenticator.hpp"

#include <zmq.h>

#include <ostream>

#include "common/green/operations.hpp"

namespace swarmlet::proto {

zap_authenticator::zap_authenticator(zmq::context_t& context,
                                     const std::vector<std::string>& allowed, std::ostream* log)
    : socket_(context, zmq::socket_type::rep), allowed_(allowed.begin(), allowed.end()), log_(log) {
  socket_.bind("inproc://zeromq.zap.01");
  thread_ = green::spawn([this] { serve(); });
}

zap_authenticator::~zap_authenticator() {
  if (thread_.valid()) thread_.kill();
}

void zap_authenticator::serve() {
  for (;;) {
    auto request = socket_.recv_multipart();
    if (!request) continue;
    std::vector<zmq::message_t> reply;
    for (const auto& frame : answer(*request)) reply.emplace_back(frame.data(), frame.size());
    socket_.send_multipart(reply);
  }
}

std::vector<std::string> zap_authenticator::answer(const std::vector<zmq::message_t>& request) {
  const std::string version = request.size() > 0 ? request[0].to_string() : "1.0";
  const std::string id = request.size() > 1 ? request[1].to_string() : "";
  // [version, request id, domain, address, routing id, mechanism, client key (32 bytes)]
  if (request.size() != 7 || version != "1.0" || request[5].to_string() != "CURVE" ||
      request[6].size() != 32)
    return {"1.0", id, "500", "swarmlet admits CURVE clients only", "", ""};
  char key[41];
  zmq_z85_encode(key, static_cast<const std::uint8_t*>(request[6].data()), 32);
  if (allowed_.count(key) != 0) return {"1.0", id, "200", "OK", key, ""};
  ++refused_;
  if (log_ != nullptr && named_.insert(key).second)
    *log_ << "swarmlet master: refused a worker from " << request[3].to_string() << ": its key "
          << key << " is not on the --curve-allow list" << std::endl;
  return {"1.0", id, "400", "key not allowed", "", ""};
}

}  // namespace swarmlet::proto
