#include "app/flag_checks.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace a = swarmlet::app;

namespace {

/// Parses `args` (after the program name) with `-u` (a whole number in 0..100), `-r` (a number)
/// and --loglevel as the commands declare them; returns CLI11's error text, empty on success.
std::string parse(std::vector<std::string> args, std::optional<int>* users = nullptr,
                  a::log_level* level = nullptr) {
  CLI::App app{"test", "swarmlet"};
  std::optional<int> u;
  std::optional<double> r;
  a::log_level l = a::log_level::info;
  app.add_option("-u,--users", u)->check(a::whole_number())->check(CLI::Range(0, 100));
  app.add_option("-r,--spawn-rate", r)->check(a::any_number())->check(CLI::Range(0.001, 1e7));
  a::add_log_level_flag(app, l);
  a::add_version_flag(app);
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return e.what();
  }
  if (users != nullptr) *users = u;
  if (level != nullptr) *level = l;
  return {};
}

TEST(FlagChecks, ANonNumberNamesTheFlagAndTheValue) {
  EXPECT_EQ(parse({"-u", "abc"}), "--users: 'abc' is not a number");
  EXPECT_EQ(parse({"--users", "ten"}), "--users: 'ten' is not a number");
  EXPECT_EQ(parse({"-u", "1.5"}), "--users: '1.5' is not a whole number");
  EXPECT_EQ(parse({"-r", "fast"}), "--spawn-rate: 'fast' is not a number");
  EXPECT_EQ(parse({"-u", ""}), "--users: '' is not a number");
  EXPECT_EQ(parse({"-u", "12abc"}), "--users: '12abc' is not a number");
}

TEST(FlagChecks, NumbersStillMeetTheirRanges) {
  std::optional<int> users;
  EXPECT_EQ(parse({"-u", "42"}, &users), "");
  EXPECT_EQ(users, 42);
  EXPECT_EQ(parse({"-r", "0.5"}), "");
  EXPECT_EQ(parse({"-r", "1e3"}), "");
  EXPECT_NE(parse({"-u", "101"}).find("not in range"), std::string::npos) << parse({"-u", "101"});
  EXPECT_NE(parse({"-u", "-1"}).find("not in range"), std::string::npos);
}

TEST(FlagChecks, LogLevelsAreLocustsInAnyCase) {
  EXPECT_EQ(a::parse_log_level("DEBUG"), a::log_level::debug);
  EXPECT_EQ(a::parse_log_level("info"), a::log_level::info);
  EXPECT_EQ(a::parse_log_level("Warning"), a::log_level::warning);
  EXPECT_EQ(a::parse_log_level("WARN"), a::log_level::warning);
  EXPECT_EQ(a::parse_log_level("error"), a::log_level::error);
  EXPECT_EQ(a::parse_log_level("CRITICAL"), a::log_level::critical);
  EXPECT_FALSE(a::parse_log_level("LOUD"));
  EXPECT_FALSE(a::parse_log_level(""));
  EXPECT_FALSE(a::parse_log_level("INFO "));
  a::log_level level = a::log_level::info;
  EXPECT_EQ(parse({"--loglevel", "error"}, nullptr, &level), "");
  EXPECT_EQ(level, a::log_level::error);
  EXPECT_EQ(parse({"--loglevel", "LOUD"}),
            "--loglevel: 'LOUD' is not a log level (DEBUG, INFO, WARNING, ERROR or CRITICAL)");
}

TEST(FlagChecks, VersionComesFromTheBuild) {
  EXPECT_EQ(a::version_line(), "swarmlet " + std::string(a::version()));
  EXPECT_FALSE(a::version().empty());
  CLI::App app{"test", "swarmlet"};
  a::add_version_flag(app);
  try {
    app.parse(std::vector<std::string>{"--version"});
    FAIL() << "--version should end the parse";
  } catch (const CLI::CallForVersion& e) {
    EXPECT_EQ(std::string(e.what()), a::version_line());
    EXPECT_EQ(e.get_exit_code(), 0);
  }
}

TEST(FlagChecks, TheScenarioFileIsGivenOnceEitherWay) {
  EXPECT_EQ(a::scenario_file_from("a.yaml", ""), "a.yaml");
  EXPECT_EQ(a::scenario_file_from("", "b.yaml"), "b.yaml");
  try {
    a::scenario_file_from("a.yaml", "b.yaml");
    FAIL() << "both forms at once";
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("'a.yaml'"), std::string::npos) << what;
    EXPECT_NE(what.find("-f 'b.yaml'"), std::string::npos) << what;
  }
  EXPECT_THROW(a::scenario_file_from("", ""), std::invalid_argument);
}

TEST(FlagChecks, AMastersAddressIsCheckedNotRetriedForever) {
  const auto a = a::master_address_from("m.test:6000");
  EXPECT_EQ(a.host, "m.test");
  EXPECT_EQ(a.port, 6000);
  EXPECT_EQ(a::master_address_from("10.0.0.1").port, 5557);
  const auto why = [](const std::string& text) {
    try {
      a::master_address_from(text);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(why(""), "--master '': it is empty (expected HOST[:PORT])");
  EXPECT_EQ(why("[::1"), "--master '[::1': it has no ']' (expected HOST[:PORT])");
  EXPECT_NE(why("::1").find("an IPv6 address goes in brackets"), std::string::npos);
  EXPECT_NE(why(":5557").find("the host is empty"), std::string::npos);
  EXPECT_NE(why("m:").find("the port is missing"), std::string::npos);
  EXPECT_NE(why("m:99999").find("the port is not in 1..65535"), std::string::npos);
  EXPECT_NE(why("m:12ab").find("the port is not a number"), std::string::npos);
  EXPECT_NE(why("m x").find("no host name has"), std::string::npos);
  EXPECT_NE(why("[]:1").find("between [ ] is empty"), std::string::npos);
  EXPECT_NE(why("[::1]x").find("only ':PORT' may follow"), std::string::npos);
  EXPECT_NE(why("[m.test]:7000").find("'m.test' is not an IPv6 address"), std::string::npos);
  EXPECT_EQ(why("tcp://m:5557"),
            "--master 'tcp://m:5557': a URL: give the master's host and port only, as tcp://, "
            "http:// and the like are not part of it (expected HOST[:PORT])")
      << "it said an IPv6 address goes in brackets";
  const auto v6 = a::master_address_from("[::1]:7000");
  EXPECT_EQ(v6.host, "[::1]") << "as ZeroMQ takes it";
  EXPECT_EQ(v6.port, 7000);
  EXPECT_EQ(a::master_address_from("[fd00::2]").port, 5557);
}

TEST(FlagChecks, AValueFromTheEnvironmentNamesItsVariable) {
  // SWARMLET_USERS=abc said "--users: 'abc' is not a number" to someone who gave no --users.
  ::setenv("SWARMLET_TEST_USERS", "abc", 1);
  CLI::App app{"test", "swarmlet"};
  CLI::App* run = app.add_subcommand("run");
  std::optional<int> u;
  run->add_option("-u,--users", u)->check(a::whole_number())->envname("SWARMLET_TEST_USERS");
  const auto error_of = [&](std::vector<std::string> args) {
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    try {
      app.parse(reversed);
    } catch (const CLI::ParseError& e) {
      return a::with_env_source(app, e.what(), args);
    }
    return std::string("parsed");
  };
  EXPECT_EQ(error_of({"run"}), "SWARMLET_TEST_USERS (--users): 'abc' is not a number");
  EXPECT_EQ(error_of({"run", "-u", "x"}), "--users: 'x' is not a number");
  EXPECT_EQ(error_of({"run", "--users=y"}), "--users: 'y' is not a number");
  ::unsetenv("SWARMLET_TEST_USERS");
}

TEST(FlagChecks, AnEmptyVariableIsRefusedNotTakenForUnset) {
  // Hunt: SWARMLET_MASTER_KEY= ran a worker unencrypted (CLI11 skips an empty variable).
  ::setenv("SWARMLET_TEST_KEY", "", 1);
  ::setenv("SWARMLET_TEST_USERS", "", 1);
  const auto error_of = [](std::vector<std::string> args) {
    CLI::App app{"test", "swarmlet"};
    CLI::App* run = app.add_subcommand("run");
    std::string key, users;
    run->add_option("--key", key)->envname("SWARMLET_TEST_KEY");
    run->add_option("--users", users)->envname("SWARMLET_TEST_USERS");
    static constexpr std::string_view guarded[] = {"SWARMLET_TEST_KEY"};
    run->callback([run] { a::refuse_empty_environment(*run, guarded); });
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    try {
      app.parse(reversed);
    } catch (const CLI::ParseError& e) {
      return std::string(e.what());
    }
    return std::string("parsed");
  };
  EXPECT_EQ(error_of({"run"}), "SWARMLET_TEST_KEY (--key): is empty: give a value, or unset it");
  EXPECT_EQ(error_of({"run", "--key", "k"}), "parsed") << "the flag decides";
  ::unsetenv("SWARMLET_TEST_KEY");
  EXPECT_EQ(error_of({"run"}), "parsed")
      << "review: another option's empty variable is unset, as a templated environment means it";
  ::unsetenv("SWARMLET_TEST_USERS");
  for (const auto name :
       {"SWARMLET_MASTER_KEY", "SWARMLET_CURVE_KEY", "SWARMLET_CURVE_ALLOW", "SWARMLET_WEB_TOKEN"})
    EXPECT_NE(
        std::find(std::begin(a::protection_variables), std::end(a::protection_variables), name),
        std::end(a::protection_variables))
        << name;
}

}  // namespace
