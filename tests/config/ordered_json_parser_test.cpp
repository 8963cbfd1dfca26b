// JSON parsed with each object's keys in the order written (what a capture of an object sends
// on), in linear time, and otherwise the same document nlohmann's own parser makes.
#include "common/config/ordered_json_parser.hpp"

#include <gtest/gtest.h>

#include <string>

#include "common/config/untrusted_json.hpp"

namespace c = swarmlet::config;

namespace {

std::string reparsed(const std::string& text) {
  const auto doc = c::parse_ordered_json(text);
  return doc ? doc->dump() : "(not JSON)";
}

TEST(OrderedJsonParser, KeysKeepTheOrderWrittenAtEveryLevel) {
  EXPECT_EQ(reparsed(R"({"b": 1, "a": {"z": [{"y": 1, "x": 2}], "c": {}}, "": []})"),
            R"({"b":1,"a":{"z":[{"y":1,"x":2}],"c":{}},"":[]})");
}

TEST(OrderedJsonParser, ScalarsAreWhatNlohmannsParserMakes) {
  for (const std::string text :
       {R"([1, -1, 2.50, 1e2, 18446744073709551615, -9223372036854775808, 1e300])",
        R"(["\u00e9t\u00e9", "\ud83d\ude00", "tab\tquote\"", true, false, null])", "7",
        R"("alone")", "null"}) {
    EXPECT_EQ(reparsed(text), nlohmann::json::parse(text).dump()) << text;
  }
}

TEST(OrderedJsonParser, ARepeatedKeyKeepsItsFirstPlaceAndItsLastValue) {
  // As JavaScript's JSON.parse; nlohmann::json also keeps the last value.
  EXPECT_EQ(reparsed(R"({"a": 1, "b": 2, "a": {"c": 3}})"), R"({"a":{"c":3},"b":2})");
  std::string many = "{";
  for (int i = 0; i < 1000; ++i)
    many += "\"k" + std::to_string(i) + "\": " + std::to_string(i) + ",";
  many += R"("k0": "again", "k999": "last"})";
  const auto doc = c::parse_ordered_json(many);
  ASSERT_TRUE(doc);
  ASSERT_EQ(doc->size(), 1000u) << "a repeat past the first keys is found too";
  EXPECT_EQ(doc->begin().key(), "k0");
  EXPECT_EQ(doc->front(), "again");
  EXPECT_EQ(doc->back(), "last");
  EXPECT_EQ((*doc)["k500"], 500);
}

TEST(OrderedJsonParser, TextThatIsNotJsonIsNothing) {
  // 1e400 too: nlohmann's lexer refuses a number no double holds.
  for (const std::string text : {"", "{", R"({"a": 1,})", "[1] 2", "<html>", R"({"a" 1})", "1e400"})
    EXPECT_FALSE(c::parse_ordered_json(text)) << text;
}

TEST(OrderedJsonParser, UntrustedTextIsRefusedPastTheNestingBound) {
  std::string why;
  const std::string deep = std::string(600, '[') + std::string(600, ']');
  EXPECT_TRUE(c::parse_untrusted_ordered_json(deep, &why).is_discarded());
  EXPECT_EQ(why, "JSON nested deeper than 512 levels");
  EXPECT_TRUE(c::parse_untrusted_ordered_json("{", &why).is_discarded());
  EXPECT_EQ(why, "not JSON");
  EXPECT_EQ(c::parse_untrusted_ordered_json(R"({"b":1,"a":2})").dump(), R"({"b":1,"a":2})");
}

}  // namespace
