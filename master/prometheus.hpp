#pragma once
// The Prometheus text exposition format (0.0.4) of a test's numbers, for `GET /metrics`:
// swarmlet_ prefix, base units (seconds, bytes), _total counters.
#include <string>

#include "aggregator.hpp"

namespace swarmlet::master {

struct metrics_context {
  int users = 0;
  int workers = 0;
  bool running = false;
};

std::string prometheus_metrics(const aggregator& a, const metrics_context& ctx);
/// A label value as the text format wants it: backslash, double quote and newline escaped.
std::string prometheus_label(const std::string& value);

}  // namespace swarmlet::master
