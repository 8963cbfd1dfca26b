#include "common/http/auth.hpp"

#include <gtest/gtest.h>

namespace h = swarmlet::http;

namespace {

h::header_list authorization(const std::string& value) {
  h::header_list headers;
  headers.add("Authorization", value);
  return headers;
}

TEST(Auth, ABearerTokenMatchesExactly) {
  EXPECT_TRUE(h::carries_token(authorization("Bearer s3cret"), "s3cret"));
  EXPECT_FALSE(h::carries_token(authorization("Bearer wrong"), "s3cret"));
  EXPECT_FALSE(h::carries_token(authorization("Bearer s3cret2"), "s3cret"));
  EXPECT_FALSE(h::carries_token(authorization("s3cret"), "s3cret")) << "no scheme";
}

TEST(Auth, BasicAuthCarriesTheTokenAsThePasswordOfAnyUser) {
  EXPECT_TRUE(h::carries_token(authorization("Basic dXNlcjpzM2NyZXQ="), "s3cret")) << "user:s3cret";
  EXPECT_TRUE(h::carries_token(authorization("Basic OnMzY3JldA=="), "s3cret")) << ":s3cret";
  EXPECT_FALSE(h::carries_token(authorization("Basic dXNlcjp3cm9uZw=="), "s3cret")) << "user:wrong";
  EXPECT_FALSE(h::carries_token(authorization("Basic czNjcmV0"), "s3cret")) << "s3cret, no colon";
  EXPECT_FALSE(h::carries_token(authorization("Basic !!!"), "s3cret")) << "not base64";
}

TEST(Auth, NoAuthorizationFieldCarriesNoToken) {
  EXPECT_FALSE(h::carries_token(h::header_list{}, "s3cret"));
  h::header_list other;
  other.add("X-Token", "s3cret");
  EXPECT_FALSE(h::carries_token(other, "s3cret"));
}

TEST(Auth, TheChallengeOffersBasicAuthInTheRealmAndBearer) {
  h::header_list headers;
  h::add_token_challenge(headers, "swarmlet");
  ASSERT_EQ(headers.fields().size(), 2u);
  EXPECT_EQ(headers.fields()[0].first, "WWW-Authenticate");
  EXPECT_EQ(headers.fields()[0].second, "Basic realm=\"swarmlet\", charset=\"UTF-8\"");
  EXPECT_EQ(headers.fields()[1].second, "Bearer");
}

TEST(Auth, Base64DecodesWithAndWithoutPaddingAndRejectsOtherText) {
  EXPECT_EQ(h::base64_decode("dXNlcjpzM2NyZXQ="), "user:s3cret");
  EXPECT_EQ(h::base64_decode("YQ=="), "a");
  EXPECT_EQ(h::base64_decode("YWI="), "ab");
  EXPECT_EQ(h::base64_decode("YWJj"), "abc");
  EXPECT_EQ(h::base64_decode(""), "");
  EXPECT_FALSE(h::base64_decode("!!!!").has_value());
}

}  // namespace
