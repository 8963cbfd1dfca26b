#include "common/http/query.hpp"

#include <gtest/gtest.h>

namespace h = swarmlet::http;

namespace {

TEST(Query, ThePathIsTheTargetBeforeItsQuery) {
  EXPECT_EQ(h::target_path("/api/history?from=3"), "/api/history");
  EXPECT_EQ(h::target_path("/api/history"), "/api/history");
  EXPECT_EQ(h::target_path("/?"), "/");
}

TEST(Query, AValueIsTheFirstPairsWithThatNameAsSent) {
  EXPECT_EQ(h::query_value("/a?x=1&y=2", "x"), "1");
  EXPECT_EQ(h::query_value("/a?x=1&y=2", "y"), "2");
  EXPECT_EQ(h::query_value("/a?x=1&x=2", "x"), "1");
  EXPECT_EQ(h::query_value("/a?x=", "x"), "");
  EXPECT_EQ(h::query_value("/a?q=a%20b", "q"), "a%20b") << "not decoded";
  EXPECT_EQ(h::query_value("/a?x&x=5", "x"), "5") << "a pair without '=' is skipped";
}

TEST(Query, NoValueWithoutAQueryOrAPairOfThatName) {
  EXPECT_FALSE(h::query_value("/a", "x"));
  EXPECT_FALSE(h::query_value("/a?", "x"));
  EXPECT_FALSE(h::query_value("/a?xx=1", "x"));
  EXPECT_FALSE(h::query_value("/a?y=1&", "x"));
  EXPECT_FALSE(h::query_value("/a?x", "x"));
}

TEST(Query, ANumberIsTheWholeNumberTheValueStartsWith) {
  EXPECT_EQ(h::query_number("/api/history?from=12", "from"), 12u);
  EXPECT_EQ(h::query_number("/api/history?a=b&from=0", "from"), 0u);
  EXPECT_FALSE(h::query_number("/api/history?from=7x", "from"));
  EXPECT_FALSE(h::query_number("/api/history?from=", "from"));
  EXPECT_FALSE(h::query_number("/api/history?from=-1", "from"));
  EXPECT_FALSE(h::query_number("/api/history?from=ten", "from"));
  EXPECT_FALSE(h::query_number("/api/history?from=99999999999999999999999", "from")) << "too large";
  EXPECT_FALSE(h::query_number("/api/history", "from"));
}

}  // namespace
