#include "count_sums.hpp"

namespace swarmlet::master {
namespace {

/// false, `sum` then unusable, when `n` takes it past 2^64 - 1.
bool fits(std::uint64_t& sum, std::uint64_t n) noexcept {
  return !__builtin_add_overflow(sum, n, &sum);
}

/// The sums' figures of one row; the name of the count that overflows, or nullptr.
template <class Stats>
const char* add_row(count_sums& sums, const Stats& s) noexcept {
  if (!fits(sums.requests, s.requests)) return "requests";
  if (!fits(sums.total_us, s.total_us)) return "response time sum";
  if (!fits(sums.content_bytes, s.content_bytes)) return "content bytes";
  if (!fits(sums.dropped, s.dropped)) return "dropped iterations";
  if (!fits(sums.service_total_us, s.service_total_us)) return "service time sum";
  return nullptr;
}

}  // namespace

const char* count_sums::add(const proto::stats_frame& frame, std::uint64_t sent_more) {
  for (const auto& r : frame.rows)
    if (const char* count = add_row(*this, r.stats)) return count;
  if (const char* count = add_row(*this, frame.lag)) return count;
  for (const auto& e : frame.errors)
    if (!fits(errors, e.count)) return "errors";
  for (const auto& e : frame.exceptions)
    if (!fits(exceptions, e.count)) return "exceptions";
  if (!fits(versions, frame.http1_1) || !fits(versions, frame.http2)) return "HTTP version counts";
  if (!fits(requests_sent, sent_more)) return "requests sent";
  return nullptr;
}

const char* count_sums::add(const stats::stats_table& table,
                            const stats::exception_table& exceptions_raised,
                            std::uint64_t sent_more) {
  for (const auto& [key, s] : table.entries())
    if (const char* count = add_row(*this, s)) return count;
  if (const char* count = add_row(*this, table.lag())) return count;
  for (const auto& [key, n] : table.errors())
    if (!fits(errors, n)) return "errors";
  for (const auto& [key, n] : exceptions_raised.entries())
    if (!fits(exceptions, n)) return "exceptions";
  if (!fits(versions, table.versions().http1_1) || !fits(versions, table.versions().http2))
    return "HTTP version counts";
  if (!fits(requests_sent, sent_more)) return "requests sent";
  return nullptr;
}

const char* count_sums::past(std::uint64_t ceiling, std::uint64_t time_ceiling) const noexcept {
  if (requests > ceiling) return "requests";
  if (total_us > time_ceiling) return "response time sum";
  if (content_bytes > ceiling) return "content bytes";
  if (dropped > ceiling) return "dropped iterations";
  if (service_total_us > time_ceiling) return "service time sum";
  if (errors > ceiling) return "errors";
  if (exceptions > ceiling) return "exceptions";
  if (versions > ceiling) return "HTTP version counts";
  if (requests_sent > ceiling) return "requests sent";
  return nullptr;
}

}  // namespace swarmlet::master
