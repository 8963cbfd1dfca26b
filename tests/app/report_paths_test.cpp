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

TEST(ReportPaths, ADeviceOrAPlaceWhereNothingCanBeMadeIsRefused) {
  // The writers rename a new file over the old: /dev/full itself was replaced (as root).
  EXPECT_EQ(a::why_unwritable("/dev/full"),
            "it is not a regular file (a device, FIFO or socket), which the report would replace");
  // access() says root may write anywhere in /proc and /sys; making a file there fails.
  const auto in_proc = a::why_unwritable("/proc/swarmlet-report/summary.json");
  ASSERT_TRUE(in_proc);
  EXPECT_EQ(in_proc->rfind("/proc", 0), 0u) << *in_proc;
  EXPECT_EQ(in_proc->find("No such file"), std::string::npos)
      << "/proc is there: it takes no new files. " << *in_proc;
  EXPECT_TRUE(a::why_unwritable("/sys/swarmlet-report.json"));
  const auto dir = fresh_dir();
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1)
      << "the probe file is removed";
  EXPECT_FALSE(a::why_unwritable(dir + "/summary.json"));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1)
      << "the probe file is removed";
}

TEST(ReportPaths, AReportNeverReplacesAFileTheTestReadsOrAnotherReport) {
  const auto dir = fresh_dir();
  swarmlet::config::report_spec spec;
  spec.json_file = dir + "/../" + fs::path(dir).filename().string() + "/file";
  EXPECT_EQ(a::check_report_files(spec, {dir + "/file"}), "cannot write the report " +
                                                              spec.json_file + ": it is " + dir +
                                                              "/file, which the test reads");
  spec.json_file = dir + "/same";
  spec.html_file = dir + "/./same";
  EXPECT_EQ(a::check_report_files(spec, {dir + "/file"}),
            "cannot write the report " + dir + "/./same: it is also the report " + dir + "/same");
  spec.html_file = dir + "/other";
  EXPECT_FALSE(a::check_report_files(spec, {dir + "/file"}));

  swarmlet::config::scenario s;
  s.users.emplace_back().data = swarmlet::config::data_spec{"rows.csv"};
  s.scripts["lib/auth.lua"] = "";
  s.files["ca.pem"] = "";
  EXPECT_EQ(a::input_files(s, dir + "/s.yaml"),
            (std::vector<std::string>{dir + "/s.yaml", dir + "/rows.csv", dir + "/lib/auth.lua",
                                      dir + "/ca.pem"}));
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
