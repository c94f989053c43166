// The gate's rollback hook without a store: how the audit log's trigger is
// worded, and that a snapshot that cannot be found fails the rollback with
// a message instead of throwing. tests/rollback_test.cc runs the hook
// against a real Chroma.
#include "gate/gate_rollback.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testutil/temp_dir.h"

namespace vecgate {
namespace {

using ::testing::HasSubstr;

TEST(GateRollbackTest, TriggerNamesTheReasonAndEveryFailedCheck) {
  ValidationReport report;
  report.rollback_reason = "Data Loss Detected";
  CheckResult count;
  count.name = "count";
  count.status = CheckStatus::kFail;
  count.rollback_reason = "Data Loss Detected";
  CheckResult drift;
  drift.name = "embedding_integrity";
  drift.status = CheckStatus::kFail;
  CheckResult passed;
  passed.name = "duplicates";
  passed.status = CheckStatus::kPass;
  report.checks = {count, drift, passed};
  EXPECT_EQ(RollbackTrigger(report),
            "gate FAILED: Data Loss Detected; failed checks: count (Data Loss "
            "Detected), embedding_integrity");
  EXPECT_EQ(RollbackTrigger(ValidationReport()), "gate FAILED");
}

TEST(GateRollbackTest, MissingSnapshotFailsTheRollbackWithAMessage) {
  testutil::TempDir tmp;
  GateRollbackOptions options;
  options.snapshot_dir = tmp.File("snapshots");
  options.snapshot_id = "latest";
  options.store_uri = "jsonl:" + tmp.File("new");
  RollbackOutcome outcome =
      MakeGateRollbackHook(options)(ValidationReport(), {"sergio_corpus"});
  EXPECT_FALSE(outcome.succeeded);
  EXPECT_FALSE(outcome.message.empty());
  EXPECT_TRUE(outcome.collections.empty());
}

}  // namespace
}  // namespace vecgate
