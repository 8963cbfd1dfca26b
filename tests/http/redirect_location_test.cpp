// A redirect's Location resolved against the request it answers, as RFC 3986 section 5.2 and
// the clients people compare us with (browsers, Python's requests, Go) resolve it.
#include "common/http/redirect_location.hpp"

#include <gtest/gtest.h>

namespace h = swarmlet::http;

namespace {

const char* origin = "http://h:8080";

std::string resolved(std::string_view path, std::string_view location) {
  return h::resolve_location(origin, path, location).value_or("(none)");
}

TEST(RedirectLocation, AbsoluteUrlsAndPathsGoAsTheyAre) {
  EXPECT_EQ(resolved("/a/b", "https://other.test/x?y=1"), "https://other.test/x?y=1");
  EXPECT_EQ(resolved("/a/b", "HTTP://other.test/x"), "http://other.test/x")
      << "the client tells an absolute URL by its scheme in lower case";
  EXPECT_EQ(resolved("/a/b", "Https://other.test/x"), "https://other.test/x");
  EXPECT_EQ(resolved("/a/b?q=1", "/c"), "http://h:8080/c");
  EXPECT_EQ(resolved("/a/b", "/c/./d/../e?x=/../"), "http://h:8080/c/e?x=/../")
      << "dot segments of the path go, the query is left alone";
}

TEST(RedirectLocation, ARelativeReferenceIsResolvedAgainstTheRequest) {
  EXPECT_EQ(resolved("/sub/rel", "ok2"), "http://h:8080/sub/ok2");
  EXPECT_EQ(resolved("/sub/rel?x=1", "ok2?y=2"), "http://h:8080/sub/ok2?y=2");
  EXPECT_EQ(resolved("/sub/dir/", "next"), "http://h:8080/sub/dir/next");
  EXPECT_EQ(resolved("/a/b/c", "../d"), "http://h:8080/a/d");
  EXPECT_EQ(resolved("/a", "../../../d"), "http://h:8080/d") << "never above the root";
  EXPECT_EQ(resolved("/a/b", "."), "http://h:8080/a/");
  EXPECT_EQ(resolved("/list?page=1", "?page=2"), "http://h:8080/list?page=2");
  EXPECT_EQ(resolved("", "?page=2"), "http://h:8080/?page=2");
  EXPECT_EQ(resolved("/a/b", "//cdn.test/x"), "http://cdn.test/x") << "the scheme is kept";
  EXPECT_EQ(resolved("/a/b", "c:d/e"), "(none)") << "a scheme of its own, not http(s)";
  EXPECT_EQ(resolved("/a/b", "./c:d"), "http://h:8080/a/c:d");
}

TEST(RedirectLocation, AFragmentIsDroppedAndNowhereIsNone) {
  EXPECT_EQ(resolved("/a", "/b#top"), "http://h:8080/b");
  EXPECT_EQ(resolved("/a", "  /b "), "http://h:8080/b");
  EXPECT_EQ(resolved("/a", ""), "(none)");
  EXPECT_EQ(resolved("/a?q=1", "#top"), "http://h:8080/a?q=1") << "the request's own URL";
  EXPECT_EQ(resolved("/a", "ftp://files.test/x"), "(none)");
  EXPECT_EQ(resolved("/a", "mailto:ops@test"), "(none)");
}

}  // namespace
