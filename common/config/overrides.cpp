#include "overrides.hpp"

#include "common/http/url.hpp"
#include "duration.hpp"

namespace swarmlet::config {

void apply_overrides(scenario& s, const load_overrides& o, const override_labels& labels) {
  if (s.load.arrival && (o.users || o.stages))
    throw config_error(
        labels.users + ": " + s.file +
        " uses the open model (load.arrival_rate): it takes a rate, not a user count");
  // It would be read and never used: the open model makes users as its arrivals need them.
  if (s.load.arrival && o.spawn_rate)
    throw config_error(labels.spawn_rate + ": " + s.file +
                       " uses the open model (load.arrival_rate): its users are made as the "
                       "arrivals need them, at no spawn rate");
  if (o.users) {
    if (*o.users < 0 || *o.users > 10'000'000)
      throw config_error(labels.users + ": expected 0 to 10000000 users");
    s.load.users = *o.users;
    s.load.stages.clear();
  }
  if (o.spawn_rate) {
    if (!(*o.spawn_rate >= 0.001 && *o.spawn_rate <= 1e7))
      throw config_error(labels.spawn_rate + ": expected 0.001 to 10000000 users per second");
    s.load.spawn_rate = *o.spawn_rate;
  }
  // Unused otherwise: stages ramp at their own rates.
  if (o.spawn_rate && !o.users && (o.stages || !s.load.stages.empty()))
    throw config_error(labels.spawn_rate + ": " + s.file +
                       " ramps by load.stages, each at its own spawn_rate; give a user count too, "
                       "to run that many users instead");
  if (o.stages) {
    // No stages would leave the test no end and no users: surely not what was meant.
    if (o.stages->empty()) throw config_error(labels.stages + ": give at least one stage");
    for (const auto& st : *o.stages) {
      if (st.duration.count() <= 0)
        throw config_error(labels.stages + ": every stage needs a duration above 0");
      if (st.users < 0 || st.users > 10'000'000)
        throw config_error(labels.stages + ": expected 0 to 10000000 users");
      if (st.spawn_rate < 0 || st.spawn_rate > 1e7)
        throw config_error(labels.stages + ": spawn_rate out of range");
    }
    s.load.stages = *o.stages;
    if (!o.run_time) s.load.run_time.reset();  // the stages say when the test ends
  }
  if (o.run_time) {
    const auto zero = parse_duration(*o.run_time);
    if (o.run_time->empty() || *o.run_time == "0" || (zero && zero->count() == 0)) {
      s.load.run_time.reset();  // -t 0 (or 0s): until stopped, as Locust's
    } else {
      auto d = parse_duration(*o.run_time);
      if (!d || d->count() <= 0)
        throw config_error(labels.run_time + ": '" + *o.run_time +
                           "' is not a duration (expected e.g. 30s, 5m, 1h30m)");
      s.load.run_time = *d;
    }
  }
  if (o.host) {
    std::string error;
    if (!http::parse_base_url(*o.host, error)) throw config_error(labels.host + ": " + error);
    s.target = *o.host;
  }
  if (s.target.empty())
    throw config_error(s.file +
                       ": the scenario needs a target, e.g. target: http://127.0.0.1:8080, "
                       "or give " +
                       labels.host);
}

}  // namespace swarmlet::config
