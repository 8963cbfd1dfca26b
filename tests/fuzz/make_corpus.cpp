// Writes one real encoded message of each type into DIR: the fuzzer's seed corpus.
#include <cstdio>
#include <fstream>
#include <string>

#include "proto/codec.hpp"
#include "proto/stats_frame.hpp"

namespace p = swarmlet::proto;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_decoder_corpus DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  int n = 0;
  auto write = [&](const p::message& m) {
    std::ofstream(dir + "/seed-" + std::to_string(n++) + "-" + p::to_string(m.type),
                  std::ios::binary)
        << p::encode(m);
  };
  write(p::make_message(p::message_type::hello, "w1", p::hello_payload{"host", 42, 4}));
  p::welcome_payload w;
  w.scenario_name = "s.yaml";
  w.scenario_yaml = "target: http://127.0.0.1:8080\nusers: [{tasks: [{get: /}]}]\n";
  w.target = "http://127.0.0.1:8080";
  w.files["u.csv"] = "a,b\n1,2\n";
  write(p::make_message(p::message_type::welcome, "master", w));
  write(p::make_message(p::message_type::refused, "master", p::refused_payload{"version"}));
  p::spawn_command s;
  s.run_id = 7;
  s.users_per_class = {{"a", 3}, {"b", 1}};
  s.user_ids = {{"a", p::id_ranges::span(1, 3)}, {"b", p::id_ranges::span(7, 7)}};
  s.worker_index = 1;
  s.worker_count = 2;
  s.data_rows["a"] = p::row_lease{p::id_ranges::span(0, 99), false};
  s.spawn_rate = 2.5;
  write(p::make_message(p::message_type::spawn, "master", s));
  p::spawn_command open;
  open.run_id = 7;
  open.arrival = swarmlet::config::arrival_plan{50, 250, std::chrono::seconds(4), 100};
  write(p::make_message(p::message_type::spawn, "master", open));
  write(p::make_message(p::message_type::stop, "master", p::stop_payload{7}));
  write(p::make_message(p::message_type::quit, "master"));
  write(p::make_message(p::message_type::heartbeat, "w1", p::heartbeat_payload{10}));
  write(p::make_message(p::message_type::goodbye, "w1"));
  write(p::make_message(p::message_type::spawn_complete, "w1", p::spawn_complete_payload{7, 10}));
  write(p::make_message(p::message_type::error, "w1", p::error_payload{"boom"}));
  p::stats_report r;
  r.run_id = 7;
  r.incarnation = 0x9e3779b97f4a7c15;  // as a worker draws it: any 64 bits
  r.sequence = 3;
  r.users = 4;
  r.live_user_ids = p::id_ranges::span(1, 4);
  r.data_rows_used = {{"a", 12}};
  r.hubs = {1, 93.5, 0, 120.25};
  r.warnings = {"4 users take more than 2 ports", "caf\xc3\xa9"};
  for (int i = 0; i < 50; ++i)
    r.delta.entry(i % 2 ? "GET" : "POST", "/n" + std::to_string(i % 5))
        .record(i * 97, 10, i % 9 == 0);
  r.delta.record_error("GET", "/n1", "HTTP 500 Internal Server Error");
  // A script error's row: sent and counted as rows are, but not a request in the totals.
  r.delta.entry(swarmlet::stats::script_error_method, "main.lua:3").record(10, 0, true);
  r.exceptions.record("a.lua:3: boom", "stack traceback:\n\ta.lua:3: in function <a.lua:2>", 4);
  write(p::make_message(p::message_type::stats, "w1", r));
  // As a worker sends them: names defined once, then by number alone once the master knows them.
  p::report_names names;
  auto write_frame = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(dir + "/seed-" + std::to_string(n++) + "-" + name, std::ios::binary) << bytes;
  };
  write_frame("stats-defining-names", p::encode_stats("w1", r, names));
  names.acknowledged(r.run_id, names.size());
  r.sequence = 4;
  r.delta.lag().record(1200, 0, false);
  write_frame("stats-by-number", p::encode_stats("w1", r, names));
  write(p::make_message(p::message_type::heartbeat, "master", p::heartbeat_payload{0, 0, 7, 9}));
  return 0;
}
