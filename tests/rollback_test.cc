// Rollback against the real Chroma server: a failed migration is rolled
// back exactly to the snapshot while its collections are kept aside;
// partial rollback, dry run, the confirmation rule, the audit log, and the
// gate's rollback hook.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "snapshot/audit_log.h"
#include "snapshot/gate_rollback.h"
#include "snapshot/journal.h"
#include "snapshot/rollback.h"
#include "snapshot/snapshot.h"
#include "tests/chroma_test_env.h"
#include "tests/snapshot_test_util.h"

namespace vecgate {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using testing::ChromaTestServer;
using testing::RunCommand;
using testing::TempDir;

const std::vector<std::string> kCorpusNames = {"sergio_corpus", "sergio_humor",
                                               "sergio_personality", "sergio_rhetorical"};

class RollbackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RegisterSnapshotStore();
    uri_ = ChromaTestServer::Get().NewDatabaseUri("rollback");
    auto store = OpenStore(uri_, OpenOptions());
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
    ASSERT_TRUE(testing::LoadCorpusWithSpace(testing::SmallCorpus(), DistanceSpace::kL2,
                                             *store_)
                    .ok());
    dir_ = tmp_.path() + "/snaps";
    CreateSnapshotOptions options;
    options.snapshot_dir = dir_;
    options.page_size = 40;
    auto m = CreateSnapshot(*store_, options);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    id_ = m->snapshot_id;
    OpenOptions snap_open;
    snap_open.snapshot_dir = dir_;
    auto snap = OpenStore("snapshot:" + id_, snap_open);
    ASSERT_TRUE(snap.ok());
    snapshot_ = std::move(*snap);
  }

  RollbackOptions Options() {
    RollbackOptions o;
    o.snapshot_dir = dir_;
    o.snapshot_id = id_;
    o.verify_sample = 0;
    return o;
  }

  // A fresh handle: ChromaStore caches collection UUIDs by name, and after
  // another process renamed a collection aside the cached UUID still
  // answers (for the aside collection).
  Store& Reopened() {
    auto store = OpenStore(uri_, OpenOptions());
    EXPECT_TRUE(store.ok());
    store_ = std::move(*store);
    return *store_;
  }

  TempDir tmp_;
  std::string uri_, dir_, id_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Store> snapshot_;
};

TEST_F(RollbackTest, FullRollbackRestoresTheSnapshotExactlyAndKeepsTheFailedDataAside) {
  const auto aside_counts = testing::BreakMigration(*store_);
  ASSERT_FALSE(testing::SameRecords(*store_, *snapshot_, {"sergio_corpus"}));
  RollbackOptions o = Options();
  bool asked = false;
  o.confirm = [&](const RollbackPlan& plan) {
    asked = true;
    EXPECT_EQ(plan.type, "full");
    return true;
  };
  auto result = RunRollback(*store_, o);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(asked);
  EXPECT_TRUE(testing::SameRecords(*store_, *snapshot_, kCorpusNames));
  for (const auto& name : kCorpusNames) {
    auto restored = store_->GetCollection(name);
    ASSERT_TRUE(restored.ok());
    EXPECT_EQ(restored->metadata, snapshot_->GetCollection(name)->metadata);
    EXPECT_EQ(restored->space, DistanceSpace::kL2);
  }
  // Every collection the migration left is still there, renamed.
  auto counts = testing::Counts(*store_);
  for (const auto& [name, count] : aside_counts) {
    std::string aside;
    for (const auto& [n, c] : counts) {
      if (n.rfind(name + "_failed_", 0) == 0) aside = n;
    }
    ASSERT_FALSE(aside.empty()) << name << " was not kept aside";
    EXPECT_TRUE(IsAsideName(aside));
    EXPECT_EQ(counts[aside], count);
    EXPECT_THAT(result->aside_names, Contains(aside));
  }
  EXPECT_EQ(counts.count("migrated_extra"), 0u) << "not in the snapshot: set aside";
  auto manifest = LoadManifest(Env::Default(), dir_, id_);
  EXPECT_EQ(manifest->status, "restored");
  EXPECT_FALSE(manifest->restored_at.empty());
  auto audit = ReadAudit(Env::Default(), SnapshotPaths{dir_}.AuditLog(), 1);
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->size(), 1u);
  EXPECT_EQ(audit->back().action, "rollback");
  EXPECT_EQ(audit->back().type, "full");
  EXPECT_TRUE(audit->back().success);
  EXPECT_EQ(audit->back().snapshot_id, id_);
  EXPECT_FALSE(Env::Default()->FileExists(ActiveJournalPath(SnapshotPaths{dir_}, id_)));
}

TEST_F(RollbackTest, PartialRollbackRestoresOnlyTheNamedCollections) {
  testing::BreakMigration(*store_);
  const auto before = testing::Counts(*store_);
  RollbackOptions o = Options();
  o.collections = {"sergio_corpus"};
  auto result = RunRollback(*store_, o);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->restored, std::vector<std::string>{"sergio_corpus"});
  EXPECT_TRUE(testing::SameRecords(*store_, *snapshot_, kCorpusNames));
  auto after = testing::Counts(*store_);
  EXPECT_EQ(after["migrated_extra"], 1) << "a partial rollback leaves other collections";
  EXPECT_EQ(after["sergio_humor"], before.at("sergio_humor"));
  auto audit = ReadAudit(Env::Default(), SnapshotPaths{dir_}.AuditLog(), 1);
  EXPECT_EQ(audit->back().type, "partial");
  EXPECT_EQ(audit->back().collections, std::vector<std::string>{"sergio_corpus"});
}

TEST_F(RollbackTest, DryRunChangesNothingAndPrintsThePlan) {
  testing::BreakMigration(*store_);
  const auto before = testing::Counts(*store_);
  std::string out;
  ASSERT_EQ(RunCommand(testing::Vecgate() + " rollback " + id_ + " --dry-run --store " +
                           uri_ + " --snapshot-dir " + dir_ + " </dev/null",
                       &out),
            0)
      << out;
  EXPECT_THAT(out, HasSubstr("Dry run: nothing was changed"));
  EXPECT_THAT(out, HasSubstr("sergio_corpus_failed_"));
  EXPECT_THAT(out, HasSubstr("migrated_extra"));
  EXPECT_EQ(testing::Counts(*store_), before);
  EXPECT_FALSE(Env::Default()->FileExists(ActiveJournalPath(SnapshotPaths{dir_}, id_)));
  EXPECT_EQ(LoadManifest(Env::Default(), dir_, id_)->status, "created");
  auto audit = ReadAudit(Env::Default(), SnapshotPaths{dir_}.AuditLog(), 1);
  EXPECT_EQ(audit->back().type, "dry_run");
}

TEST_F(RollbackTest, AFullRollbackWithoutATerminalNeedsYes) {
  testing::BreakMigration(*store_);
  const auto before = testing::Counts(*store_);
  std::string out;
  const std::string cmd = testing::Vecgate() + " rollback " + id_ + " --store " + uri_ +
                          " --snapshot-dir " + dir_;
  EXPECT_EQ(RunCommand(cmd + " </dev/null", &out), 3);
  EXPECT_THAT(out, HasSubstr("--yes"));
  EXPECT_THAT(out, HasSubstr("not a terminal"));
  EXPECT_EQ(testing::Counts(*store_), before);
  ASSERT_EQ(RunCommand(cmd + " --yes </dev/null", &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("kept the replaced collection as sergio_corpus_failed_"));
  EXPECT_TRUE(testing::SameRecords(Reopened(), *snapshot_, kCorpusNames));
  ASSERT_EQ(RunCommand(testing::Vecgate() + " audit-log --json --snapshot-dir " + dir_, &out),
            0);
  auto log = nlohmann::json::parse(out);
  ASSERT_GE(log.size(), 3u);  // create, refused rollback, rollback
  EXPECT_EQ(log.back()["success"], true);
  EXPECT_EQ(log.back()["type"], "full");
  EXPECT_GT(log.back()["duration_seconds"].get<double>(), 0);
  for (const char* key : {"timestamp", "action", "snapshot_id", "status", "collections",
                          "message"}) {
    EXPECT_TRUE(log.back().contains(key)) << key;
  }
}

TEST_F(RollbackTest, RollbackIntoAnotherStoreRestoresThere) {
  auto other = ChromaTestServer::Get().NewDatabase("rollback_other");
  RollbackOptions o = Options();
  auto result = RunRollback(*other, o);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(result->aside_names.empty());
  EXPECT_TRUE(testing::SameRecords(*other, *snapshot_, kCorpusNames));
}

TEST_F(RollbackTest, GateHookRollsBackTheBlamedCollectionsAndReportsFailures) {
  testing::BreakMigration(*store_);
  GateRollbackOptions g;
  g.snapshot_dir = dir_;
  g.snapshot_id = id_;
  g.store_uri = uri_;
  RollbackHook hook = MakeGateRollbackHook(g);
  ValidationReport report;
  RollbackOutcome outcome = hook(report, {"sergio_corpus"});
  EXPECT_TRUE(outcome.succeeded) << outcome.message;
  EXPECT_EQ(outcome.collections, std::vector<std::string>{"sergio_corpus"});
  EXPECT_EQ(outcome.snapshot_id, id_);
  EXPECT_TRUE(testing::SameRecords(Reopened(), *snapshot_, kCorpusNames));

  // Everything, without --yes and without a terminal: refused, untouched.
  const auto before = testing::Counts(*store_);
  outcome = hook(report, {});
  EXPECT_FALSE(outcome.succeeded);
  EXPECT_THAT(outcome.message, HasSubstr("--yes"));
  EXPECT_EQ(testing::Counts(*store_), before);

  g.snapshot_id = "snapshot_19700101_000000";
  outcome = MakeGateRollbackHook(g)(report, {"sergio_corpus"});
  EXPECT_FALSE(outcome.succeeded);
  EXPECT_THAT(outcome.message, HasSubstr("not found"));
}

}  // namespace
}  // namespace vecgate
