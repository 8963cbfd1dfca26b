#include "proto/curve_keys.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "tests/support/process.hpp"

namespace p = swarmlet::proto;
namespace ts = swarmlet::testing_support;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const p::key_error& e) {
    return e.what();
  }
  return "no error";
}

TEST(CurveKeys, KeyFilesRoundTripAndTheSecretIsPrivate) {
  const auto dir = ts::write_temp_file("x", "");
  const std::string base = dir.substr(0, dir.rfind('/')) + "/master";
  const auto keys = p::generate_curve_keypair();
  EXPECT_TRUE(p::is_z85_key(keys.public_key));
  EXPECT_TRUE(p::is_z85_key(keys.secret_key));
  EXPECT_NE(keys.public_key, keys.secret_key);
  p::write_curve_key_files(base, keys);
  const auto read = p::read_curve_keypair(base + ".key");
  EXPECT_EQ(read.public_key, keys.public_key);
  EXPECT_EQ(read.secret_key, keys.secret_key);
  EXPECT_EQ(p::public_key_from(base + ".pub"), keys.public_key);
  EXPECT_EQ(p::public_key_from(keys.public_key), keys.public_key) << "a key given as itself";
  struct stat st {};
  ASSERT_EQ(::stat((base + ".key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_NE(error_of([&] { p::write_curve_key_files(base, keys); }).find("exists already"),
            std::string::npos);
}

TEST(CurveKeys, BadKeyFilesNameTheFileAndLine) {
  const auto good = p::generate_curve_keypair();
  const auto bad_value = ts::write_temp_file(
      "a.key", "# comment\npublic-key = " + good.public_key + "\nsecret-key = short\n");
  EXPECT_NE(error_of([&] {
              p::read_curve_keypair(bad_value);
            }).find(bad_value + ":3: secret-key is not a 40-character Z85 key"),
            std::string::npos);
  const auto bad_name = ts::write_temp_file("b.key", "private = " + good.secret_key + "\n");
  EXPECT_NE(error_of([&] { p::read_curve_keypair(bad_name); }).find(bad_name + ":1: expected"),
            std::string::npos);
  const auto half = ts::write_temp_file("c.key", "public-key = " + good.public_key + "\n");
  EXPECT_NE(error_of([&] { p::read_curve_keypair(half); }).find("holds public-key and secret-key"),
            std::string::npos);
  EXPECT_EQ(error_of([] { p::read_curve_keypair("/nonexistent/x.key"); }),
            "/nonexistent/x.key: cannot read this key file: No such file or directory")
      << "why, too (hunt: missing, unreadable and a dangling link said the same)";
  // A public key pasted from another pair was announced, and no worker could ever join.
  const auto other = p::generate_curve_keypair();
  const auto mismatched = ts::write_temp_file(
      "m.key", "public-key = " + other.public_key + "\nsecret-key = " + good.secret_key + "\n");
  EXPECT_EQ(error_of([&] { p::read_curve_keypair(mismatched); }),
            mismatched + ": public-key is not the one of this secret-key (its own is " +
                good.public_key + "): make the pair again with `swarmlet keygen`");
  const auto list =
      ts::write_temp_file("allow", "# workers\n" + good.public_key + "\n\nnot a key\n");
  EXPECT_NE(error_of([&] {
              p::read_public_keys(list);
            }).find(list + ":4: not a 40-character Z85 public key"),
            std::string::npos);
  const auto two = ts::write_temp_file("two.pub", good.public_key + "\n" + good.public_key + "\n");
  EXPECT_EQ(p::read_public_keys(two).size(), 2u);
  EXPECT_NE(error_of([&] { p::public_key_from(two); }).find("exactly one"), std::string::npos);
  EXPECT_FALSE(p::is_z85_key(std::string(40, ' ')));
  // A FIFO named as a key file blocked the worker's start forever.
  const auto dir = list.substr(0, list.rfind('/'));
  ASSERT_EQ(::mkfifo((dir + "/fifo.key").c_str(), 0600), 0);
  EXPECT_EQ(error_of([&] { p::read_curve_keypair(dir + "/fifo.key"); }),
            dir + "/fifo.key: not a regular file (a key file is one)");
  EXPECT_EQ(error_of([] { p::read_public_keys("/dev/zero"); }),
            "/dev/zero: not a regular file (a key file is one)");
}

}  // namespace
