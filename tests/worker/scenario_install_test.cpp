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

}  // namespace
