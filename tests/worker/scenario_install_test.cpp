#include "worker/scenario_install.hpp"

#include <gtest/gtest.h>

#include "common/config/config_error.hpp"

namespace w = swarmlet::worker;

namespace {

swarmlet::proto::welcome_payload welcome(std::string yaml) {
  swarmlet::proto::welcome_payload out;
  out.scenario_name = "shop.yaml";
  out.scenario_yaml = std::move(yaml);
  return out;
}

const char* with_data = R"(target: http://127.0.0.1:1
load: {users: 1}
users:
  - name: buyer
    data: {file: data/users.csv}
    tasks: [{get: "/u/${login}"}]
)";

TEST(ScenarioInstall, DataFilesComeFromTheWelcomeNotFromDisk) {
  auto wl = welcome(with_data);
  wl.files["data/users.csv"] = "login,password\nann,1\nbob,2\n";
  const auto s = w::install_scenario(wl);
  ASSERT_TRUE(s->users[0].data);
  EXPECT_EQ(s->users[0].data->columns, (std::vector<std::string>{"login", "password"}));
  EXPECT_EQ(s->users[0].data->rows.size(), 2u);
  EXPECT_EQ(s->file, "shop.yaml");
}

TEST(ScenarioInstall, ADataFileTheMasterDidNotSendIsAnErrorNamingIt) {
  try {
    w::install_scenario(welcome(with_data));
    FAIL() << "no error";
  } catch (const swarmlet::config::config_error& e) {
    EXPECT_NE(std::string(e.what()).find("shop.yaml:5:"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("data/users.csv did not come with the scenario"),
              std::string::npos)
        << e.what();
  }
}

TEST(ScenarioInstall, TheMastersTargetReplacesTheFilesAndABadOneIsRefused) {
  auto wl = welcome(with_data);
  wl.files["data/users.csv"] = "login\nann\n";
  wl.target = "http://127.0.0.1:8080";
  EXPECT_EQ(w::install_scenario(wl)->target, "http://127.0.0.1:8080");
  wl.target = "ftp://nowhere";
  EXPECT_THROW(w::install_scenario(wl), swarmlet::config::config_error);
}

TEST(ScenarioInstall, EnvironmentValuesAndTagsAreTheMastersNotTheWorkers) {
  auto wl = welcome(
      "target: http://127.0.0.1:1\nusers:\n  - tasks:\n      - {get: \"/${env.HOME}\", tags: "
      "[a]}\n      - {get: \"/${env.SWARMLET_UNSET_HERE:-d}\", tags: [b]}\n");
  wl.environment["HOME"] = "/from-the-master";
  wl.tags = {"a", "b"};
  wl.exclude_tags = {"b"};
  const auto s = w::install_scenario(wl);
  ASSERT_EQ(s->users[0].tasks.size(), 1u) << "the master's tag filter";
  EXPECT_EQ(s->users[0].tasks[0].steps[0].path.source(), "/${env.HOME}");
  EXPECT_EQ(s->users[0].tasks[0].steps[0].path.render({}), "//from-the-master");
  wl.environment.clear();
  wl.tags.clear();
  wl.exclude_tags.clear();
  try {
    w::install_scenario(wl);
    FAIL() << "HOME is set on this machine, but the master sent no value: it is unset here";
  } catch (const swarmlet::config::config_error& e) {
    EXPECT_NE(std::string(e.what()).find("environment variable HOME is not set"), std::string::npos)
        << e.what();
  }
}

}  // namespace

TEST(ScenarioInstall, AScriptedClassThatDoesNotLoadHereIsRefusedWithItsFileAndLine) {
  // QA: a script whose load read sw.env broke on one worker only; its users each failed to
  // start there, while the worker counted them as running.
  auto wl = welcome(
      "target: http://127.0.0.1:1\nload: {users: 1}\nusers: [{name: wl, script: "
      "wl.lua}]\n");
  wl.files["lib/util.lua"] = "return {n = 1}\n";
  wl.files["wl.lua"] = "local util = require 'lib.util'\nreturn {tasks = {function(u) end}}\n";
  EXPECT_NO_THROW(w::install_scenario(wl)) << "its modules came with it";
  wl.files["wl.lua"] = "local sw = require 'swarmlet'\nerror('breaks on the worker only')\n";
  try {
    w::install_scenario(wl);
    FAIL() << "no error";
  } catch (const swarmlet::config::config_error& e) {
    EXPECT_NE(std::string(e.what()).find("wl.lua:2: breaks on the worker only"), std::string::npos)
        << e.what();
  }
}
