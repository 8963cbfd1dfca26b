// Exceptions per (message, traceback): exact counts when merged, bounded when a script makes a
// new message every time, and the codec that carries them in a worker's report.
#include "common/stats/exception_table.hpp"

#include <gtest/gtest.h>

#include <string>

#include "common/stats/cut_text.hpp"
#include "common/stats/stats_codec.hpp"

namespace s = swarmlet::stats;

namespace {

std::uint64_t count_of(const s::exception_table& t, const std::string& message,
                       const std::string& traceback) {
  const auto it = t.entries().find(s::exception_key{message, traceback});
  return it == t.entries().end() ? 0 : it->second;
}

std::uint64_t others(const s::exception_table& t) {
  return count_of(t, s::exception_table::other_exceptions, "");
}

std::optional<s::exception_table> round_trip(const s::exception_table& t, std::string& error) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> packer(buffer);
  s::pack_exceptions(packer, t);
  const auto handle = msgpack::unpack(buffer.data(), buffer.size());
  return s::unpack_exceptions(handle.get(), error);
}

/// A msgpack list of `rows` rows [message, traceback, count].
std::optional<s::exception_table> decode_rows(std::uint32_t rows, const std::string& message,
                                              std::uint64_t count, std::string& error) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> packer(buffer);
  packer.pack_array(rows);
  for (std::uint32_t i = 0; i < rows; ++i) {
    packer.pack_array(3);
    packer.pack(message + std::to_string(i));
    packer.pack(std::string("t"));
    packer.pack(count);
  }
  const auto handle = msgpack::unpack(buffer.data(), buffer.size());
  return s::unpack_exceptions(handle.get(), error);
}

}  // namespace

TEST(ExceptionTable, TheSameMessageAndTracebackAreOneRowCountedExactly) {
  s::exception_table t;
  t.record("a.lua:3: boom", "stack traceback:\n\ta.lua:3: in function <a.lua:2>");
  t.record("a.lua:3: boom", "stack traceback:\n\ta.lua:3: in function <a.lua:2>", 4);
  t.record("a.lua:3: boom", "stack traceback:\n\ta.lua:3: in function 'f'");  // another path
  t.record("a.lua:9: other", "");
  EXPECT_EQ(t.entries().size(), 3u);
  EXPECT_EQ(count_of(t, "a.lua:3: boom", "stack traceback:\n\ta.lua:3: in function <a.lua:2>"), 5u);
  EXPECT_EQ(t.total(), 7u);
}

TEST(ExceptionTable, MergingInAnyOrderGivesTheSameCounts) {
  s::exception_table a, b, c;
  a.record("x", "tx", 2);
  b.record("x", "tx", 3);
  b.record("y", "ty");
  c.record("y", "ty", 5);
  s::exception_table left, right;
  left.merge(a);
  left.merge(b);
  left.merge(c);
  right.merge(c);
  right.merge(b);
  right.merge(a);
  EXPECT_EQ(left.entries(), right.entries());
  EXPECT_EQ(count_of(left, "x", "tx"), 5u);
  EXPECT_EQ(count_of(left, "y", "ty"), 6u);
}

TEST(ExceptionTable, TakeDeltaEmptiesTheTableAndKeepsItsCap) {
  s::exception_table t(2);
  t.record("x", "");
  const auto delta = t.take_delta();
  EXPECT_EQ(delta.total(), 1u);
  EXPECT_TRUE(t.empty());
  EXPECT_EQ(t.max_distinct(), 2u);
  EXPECT_EQ(delta.max_distinct(), 2u);
}

TEST(ExceptionTable, MessagesBeyondTheCapAreCountedInTheOtherRow) {
  s::exception_table t(3);
  for (int i = 0; i < 50; ++i) t.record("user " + std::to_string(i) + " failed", "tb");
  t.record("user 1 failed", "tb", 10);  // known: still its own row
  EXPECT_EQ(t.entries().size(), 4u) << "three rows and the other row";
  EXPECT_EQ(count_of(t, "user 1 failed", "tb"), 11u);
  EXPECT_EQ(others(t), 47u);
  EXPECT_EQ(t.total(), 60u) << "nothing is lost, only grouped";

  s::exception_table merged(3);
  merged.merge(t);
  s::exception_table more(3);
  more.record("a new one", "tb", 2);
  merged.merge(more);
  EXPECT_EQ(merged.entries().size(), 4u) << "a merge is bounded by the same cap";
  EXPECT_EQ(merged.total(), 62u);
  EXPECT_EQ(others(merged), 49u);
}

TEST(ExceptionTable, LongTextsAreCutWithoutSplittingACharacter) {
  s::exception_table t;
  const std::string long_message = std::string(2000, 'x');
  t.record(long_message, std::string(10000, 'y'));
  const auto& key = t.entries().begin()->first;
  EXPECT_EQ(key.message.size(), s::exception_table::max_message);
  EXPECT_EQ(key.message.substr(key.message.size() - 3), "...");
  EXPECT_LE(key.traceback.size(), s::exception_table::max_traceback);
  // "é" is two bytes: a cut falling between them moves before the character.
  std::string e;
  for (int i = 0; i < 10; ++i) e += "\xC3\xA9";
  const std::string cut = s::cut_text(e, 8);  // 5 bytes of text fit: 2 whole é
  EXPECT_EQ(cut, "\xC3\xA9\xC3\xA9...");
  EXPECT_EQ(s::cut_text("short", 8), "short");
  // Unmarked, as a report's warnings are cut: the longest start that splits no character.
  EXPECT_EQ(s::utf8_prefix(e, 5), "\xC3\xA9\xC3\xA9");
  EXPECT_EQ(s::utf8_prefix(e, 4), "\xC3\xA9\xC3\xA9");
  EXPECT_EQ(s::utf8_prefix(e, 1), "");
  EXPECT_EQ(s::utf8_prefix("short", 5), "short");
}

TEST(ExceptionCodec, ATableRoundTrips) {
  s::exception_table t;
  t.record("a.lua:3: boom", "stack traceback:\n\ta.lua:3: in function <a.lua:2>", 7);
  t.record("b.lua:1: \"quoted\", with commas", "");
  std::string error;
  const auto back = round_trip(t, error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->entries(), t.entries());
  ASSERT_TRUE(round_trip(s::exception_table{}, error));
}

TEST(ExceptionCodec, TooManyRowsTooLongTextsAndBadRowsAreRefusedWithAReason) {
  std::string error;
  EXPECT_TRUE(decode_rows(s::max_report_exceptions, "m", 1, error)) << error;
  EXPECT_FALSE(decode_rows(s::max_report_exceptions + 1, "m", 1, error));
  EXPECT_EQ(error, "exceptions: more than 256 in one report");
  EXPECT_FALSE(decode_rows(1, std::string(s::exception_table::max_message + 1, 'm'), 1, error));
  EXPECT_EQ(error, "exceptions: row 0 is too long");
  EXPECT_FALSE(decode_rows(1, "m", 0, error)) << "a row counts at least one";
  EXPECT_EQ(error, "exceptions: row 0 is malformed");

  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> packer(buffer);
  packer.pack_array(1);
  packer.pack_array(2);  // no count
  packer.pack(std::string("m"));
  packer.pack(std::string("t"));
  const auto handle = msgpack::unpack(buffer.data(), buffer.size());
  EXPECT_FALSE(s::unpack_exceptions(handle.get(), error));
  EXPECT_EQ(error, "exceptions: row 0 is malformed");
  const auto not_list = msgpack::unpack("\x01", 1);
  EXPECT_FALSE(s::unpack_exceptions(not_list.get(), error));
}
