#include "stats_json.hpp"

#include "report_quantiles.hpp"

namespace swarmlet::master {

nlohmann::json percentiles_json(const stats::request_stats& s) {
  nlohmann::json p = nlohmann::json::object();
  for (double q : report_quantiles) p[quantile_label(q)] = s.percentile_ms(q);
  return p;
}

nlohmann::json service_percentiles_json(const stats::request_stats& s) {
  nlohmann::json p = nlohmann::json::object();
  for (double q : report_quantiles) p[quantile_label(q)] = s.service_percentile_ms(q);
  return p;
}

nlohmann::json request_stats_json(const stats::request_stats& s) {
  return {{"requests", s.requests},
          {"failures", s.failures},
          {"dropped_iterations", s.dropped},
          {"avg_ms", s.average_ms()},
          {"min_ms", s.min_ms()},
          {"max_ms", s.max_ms()},
          {"avg_content_bytes", s.average_bytes()},
          {"percentiles_ms", percentiles_json(s)}};
}

nlohmann::json generator_lag_json(const stats::request_stats& lag) {
  return {{"iterations", lag.requests},
          {"p50", lag.percentile_ms(0.5)},
          {"p99", lag.percentile_ms(0.99)},
          {"max", lag.max_ms()}};
}

}  // namespace swarmlet::master
