#include "app/report_paths.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/support/process.hpp"

namespace a = swarmlet::app;
namespace ts = swarmlet::testing_support;
namespace fs = std::filesystem;

namespace {

/// A fresh directory holding one regular file, "file".
std::string fresh_dir() {
  const auto file = ts::write_temp_file("file", "x");
  return file.substr(0, file.rfind('/'));
}

TEST(ReportPaths, AbsentFilesInWritableOrMakeableDirectoriesPass) {
  const auto dir = fresh_dir();
  EXPECT_FALSE(a::why_unwritable(dir + "/summary.json"));
  EXPECT_FALSE(a::why_unwritable(dir + "/results/deeper/summary.json"))
      << "the writers make the directories";
  EXPECT_FALSE(a::why_unwritable(dir + "/file")) << "an existing file is overwritten";
  EXPECT_FALSE(fs::exists(dir + "/results")) << "checking makes nothing";
}

TEST(ReportPaths, APathUnderAFileSaysWhichIsNotADirectory) {
  const auto dir = fresh_dir();
  EXPECT_EQ(a::why_unwritable(dir + "/file/summary.json"), dir + "/file is not a directory");
  EXPECT_EQ(a::why_unwritable(dir + "/file/a/b/summary.json"), dir + "/file is not a directory");
}

TEST(ReportPaths, ADirectoryIsNotAReportFile) {
  const auto dir = fresh_dir();
  EXPECT_EQ(a::why_unwritable(dir), "it is a directory");
  EXPECT_EQ(a::why_unwritable(dir + "/"), "it names a directory, not a file");
}

TEST(ReportPaths, EveryFileOfTheSpecIsChecked) {
  const auto dir = fresh_dir();
  swarmlet::config::report_spec spec;
  spec.csv_prefix = dir + "/run";
  spec.json_file = dir + "/s.json";
  spec.html_file = dir + "/r.html";
  EXPECT_EQ(a::report_files(spec),
            (std::vector<std::string>{dir + "/run_stats.csv", dir + "/run_failures.csv",
                                      dir + "/run_exceptions.csv", dir + "/run_stats_history.csv",
                                      dir + "/s.json", dir + "/r.html"}));
  EXPECT_FALSE(a::check_report_files(spec));
  EXPECT_FALSE(a::check_report_files({})) << "no reports, nothing to check";

  fs::create_directory(dir + "/run_failures.csv");
  EXPECT_EQ(a::check_report_files(spec),
            "cannot write the report " + dir + "/run_failures.csv: it is a directory");
  spec.csv_prefix.clear();
  spec.html_file = dir + "/file/r.html";
  EXPECT_EQ(a::check_report_files(spec),
            "cannot write the report " + dir + "/file/r.html: " + dir + "/file is not a directory");
}

}  // namespace
