// The verdict without a server: statuses in, PASSED/WARNING/FAILED, rollback
// reasons, collections to roll back and exit codes out.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness/runner.h"

namespace vecgate {
namespace {

using ::testing::ElementsAre;

CheckResult Check(const std::string& name, CheckStatus status,
                  std::vector<std::string> failed_collections = {}) {
  CheckResult c;
  c.name = name;
  c.status = status;
  c.failed_collections = std::move(failed_collections);
  return c;
}

TEST(VerdictTest, AllPassIsPassedWithExitZeroAndNoReason) {
  ValidationReport r;
  r.checks = {Check("count", CheckStatus::kPass), Check("duplicates", CheckStatus::kPass)};
  DecideVerdict(r, false);
  EXPECT_EQ(r.overall_status, OverallStatus::kPassed);
  EXPECT_EQ(r.exit_code, kExitPassed);
  EXPECT_FALSE(r.rollback_triggered);
  EXPECT_EQ(r.rollback_reason, "");
}

TEST(VerdictTest, WarningsAloneWarnAndDoNotRollBack) {
  ValidationReport r;
  r.checks = {Check("count", CheckStatus::kPass), Check("citations", CheckStatus::kWarn)};
  DecideVerdict(r, false);
  EXPECT_EQ(r.overall_status, OverallStatus::kWarning);
  EXPECT_EQ(r.exit_code, kExitWarning);
  EXPECT_FALSE(r.rollback_triggered);
}

TEST(VerdictTest, FailOnWarningMakesWarningsFailWithANote) {
  ValidationReport r;
  r.checks = {Check("citations", CheckStatus::kWarn)};
  DecideVerdict(r, true);
  EXPECT_EQ(r.overall_status, OverallStatus::kFailed);
  EXPECT_EQ(r.exit_code, kExitFailed);
  EXPECT_TRUE(r.rollback_triggered);
  EXPECT_EQ(r.rollback_reason, "Warnings Fail This Gate (--fail-on warning)");
  ASSERT_EQ(r.notes.size(), 1u);
  DecideVerdict(r, true);  // deciding again does not repeat the note
  EXPECT_EQ(r.notes.size(), 1u);
}

TEST(VerdictTest, ReasonsComeFromEachFailedCheckInReportOrder) {
  ValidationReport r;
  CheckResult dup = Check("duplicates", CheckStatus::kFail, {"a"});
  dup.rollback_reason = "Duplicate Records Introduced";  // the check's own
  r.checks = {Check("count", CheckStatus::kPass), Check("embedding_integrity", CheckStatus::kFail),
              dup, Check("citations", CheckStatus::kWarn), Check("content", CheckStatus::kFail)};
  DecideVerdict(r, false);
  EXPECT_EQ(r.overall_status, OverallStatus::kFailed);
  EXPECT_EQ(r.exit_code, kExitFailed);
  EXPECT_TRUE(r.rollback_triggered);
  EXPECT_EQ(r.rollback_reason,
            "Embedding Corruption; Duplicate Records Introduced; Content Changed");
  // The catalogue's reason is written back to the check for the reports.
  EXPECT_EQ(r.checks[1].rollback_reason, "Embedding Corruption");
  EXPECT_EQ(r.checks[3].rollback_reason, "");  // a warning gives no reason
}

TEST(VerdictTest, HeadlineMetricsAreReadFromTheirChecks) {
  ValidationReport r;
  CheckResult count = Check("count", CheckStatus::kFail);
  count.metrics["data_loss_percentage"] = 7.5;
  CheckResult sd = Check("semantic_divergence", CheckStatus::kPass);
  sd.metrics["semantic_divergence_percentage"] = 1.25;
  r.checks = {count, sd};
  DecideVerdict(r, false);
  EXPECT_DOUBLE_EQ(r.data_loss_percentage, 7.5);
  EXPECT_DOUBLE_EQ(r.semantic_divergence_percentage, 1.25);
  EXPECT_EQ(r.rollback_reason, "Chunk Count Mismatch");
}

TEST(VerdictTest, RollbackCoversTheBlamedCollectionsOrEverything) {
  ValidationReport r;
  r.checks = {Check("count", CheckStatus::kFail, {"b", "a"}),
              Check("content", CheckStatus::kFail, {"a", "c"}),
              Check("citations", CheckStatus::kWarn, {"d"})};
  EXPECT_THAT(CollectionsToRollBack(r), ElementsAre("a", "b", "c"));
  r.checks.push_back(Check("duplicates", CheckStatus::kFail));  // blames no collection
  EXPECT_TRUE(CollectionsToRollBack(r).empty());  // empty means every collection
}

}  // namespace
}  // namespace vecgate
