// Rollback against the real Chroma server: a failed migration is rolled
// back exactly to the snapshot while its collections are kept aside;
// partial rollback, dry run, the confirmation rule, the audit log, and the
// gate's rollback hook.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "snapshot/audit_log.h"
#include "gate/gate_rollback.h"
#include "snapshot/journal.h"
#include "snapshot/rollback.h"
#include "snapshot/snapshot.h"
#include "tests/chroma_test_env.h"
#include "tests/snapshot_test_util.h"

namespace vecgate {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using testutil::ChromaTestServer;
using testutil::RunCommand;
using testutil::TempDir;

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
    ASSERT_TRUE(testutil::LoadCorpusWithSpace(testutil::SmallCorpus(), DistanceSpace::kL2,
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
  const auto aside_counts = testutil::BreakMigration(*store_);
  ASSERT_FALSE(testutil::SameRecords(*store_, *snapshot_, {"sergio_corpus"}));
  RollbackOptions o = Options();
  bool asked = false;
  o.confirm = [&](const RollbackPlan& plan) {
    asked = true;
    EXPECT_EQ(plan.type, RollbackType::kFull);
    return true;
  };
  auto result = RunRollback(*store_, o);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(asked);
  EXPECT_TRUE(testutil::SameRecords(*store_, *snapshot_, kCorpusNames));
  for (const auto& name : kCorpusNames) {
    auto restored = store_->GetCollection(name);
    ASSERT_TRUE(restored.ok());
    EXPECT_EQ(restored->metadata, snapshot_->GetCollection(name)->metadata);
    EXPECT_EQ(restored->space, DistanceSpace::kL2);
  }
  // Every collection the migration replaced is still there, renamed and
  // stamped; the one the snapshot never held is left as it was.
  auto counts = testutil::Counts(*store_);
  EXPECT_EQ(counts["migrated_extra"], 1) << "not in the snapshot: left untouched";
  EXPECT_THAT(result->plan.untouched, Contains("migrated_extra"));
  for (const auto& [name, count] : aside_counts) {
    if (name == "migrated_extra") continue;
    std::string aside;
    for (const auto& [n, c] : counts) {
      if (n.rfind(name + "_failed_", 0) == 0) aside = n;
    }
    ASSERT_FALSE(aside.empty()) << name << " was not kept aside";
    EXPECT_TRUE(IsRollbackAsideName(aside));
    EXPECT_EQ(counts[aside], count);
    EXPECT_THAT(result->aside_names, Contains(aside));
    auto info = store_->GetCollection(aside);
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->metadata.at(kAsideStampSnapshotKey), MetadataValue(id_));
    EXPECT_EQ(info->metadata.at(kAsideStampOriginalKey), MetadataValue(name));
  }
  auto manifest = LoadManifest(Env::Default(), dir_, id_);
  EXPECT_EQ(manifest->status, "restored");
  EXPECT_FALSE(manifest->restored_at.empty());
  auto audit = ReadAudit(Env::Default(), SnapshotPaths{dir_}.AuditLog(), 1);
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->size(), 1u);
  EXPECT_EQ(audit->back().action, "rollback");
  EXPECT_EQ(audit->back().type, "full");
  EXPECT_TRUE(audit->back().success);
  EXPECT_EQ(audit->back().status, "ok");
  EXPECT_EQ(audit->back().snapshot_id, id_);
  EXPECT_FALSE(Env::Default()->FileExists(ActiveJournalPath(SnapshotPaths{dir_}, id_)));
}

TEST_F(RollbackTest, PartialRollbackRestoresOnlyTheNamedCollections) {
  testutil::BreakMigration(*store_);
  const auto before = testutil::Counts(*store_);
  RollbackOptions o = Options();
  o.collections = {"sergio_corpus"};
  auto result = RunRollback(*store_, o);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->restored, std::vector<std::string>{"sergio_corpus"});
  EXPECT_TRUE(testutil::SameRecords(*store_, *snapshot_, kCorpusNames));
  auto after = testutil::Counts(*store_);
  EXPECT_EQ(after["migrated_extra"], 1) << "a partial rollback leaves other collections";
  EXPECT_EQ(after["sergio_humor"], before.at("sergio_humor"));
  auto audit = ReadAudit(Env::Default(), SnapshotPaths{dir_}.AuditLog(), 1);
  EXPECT_EQ(audit->back().type, "partial");
  EXPECT_EQ(audit->back().collections, std::vector<std::string>{"sergio_corpus"});
}

TEST_F(RollbackTest, DryRunChangesNothingAndPrintsThePlan) {
  testutil::BreakMigration(*store_);
  const auto before = testutil::Counts(*store_);
  std::string out;
  ASSERT_EQ(RunCommand(testutil::Vecgate() + " rollback " + id_ + " --dry-run --store " +
                           uri_ + " --snapshot-dir " + dir_ + " </dev/null",
                       &out),
            0)
      << out;
  EXPECT_THAT(out, HasSubstr("Dry run: nothing was changed"));
  EXPECT_THAT(out, HasSubstr("sergio_corpus_failed_"));
  EXPECT_THAT(out, HasSubstr("migrated_extra: not in the snapshot (made after it): left "
                              "untouched"));
  EXPECT_EQ(testutil::Counts(*store_), before);
  EXPECT_FALSE(Env::Default()->FileExists(ActiveJournalPath(SnapshotPaths{dir_}, id_)));
  EXPECT_EQ(LoadManifest(Env::Default(), dir_, id_)->status, "created");
  auto audit = ReadAudit(Env::Default(), SnapshotPaths{dir_}.AuditLog(), 1);
  EXPECT_EQ(audit->back().type, "dry_run");
}

TEST_F(RollbackTest, AFullRollbackWithoutATerminalNeedsYes) {
  testutil::BreakMigration(*store_);
  const auto before = testutil::Counts(*store_);
  std::string out;
  const std::string cmd = testutil::Vecgate() + " rollback " + id_ + " --store " + uri_ +
                          " --snapshot-dir " + dir_;
  EXPECT_EQ(RunCommand(cmd + " </dev/null", &out), 3);
  EXPECT_THAT(out, HasSubstr("--yes"));
  EXPECT_THAT(out, HasSubstr("not a terminal"));
  EXPECT_EQ(testutil::Counts(*store_), before);
  ASSERT_EQ(RunCommand(cmd + " --yes </dev/null", &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("kept the replaced collection as sergio_corpus_failed_"));
  EXPECT_TRUE(testutil::SameRecords(Reopened(), *snapshot_, kCorpusNames));
  ASSERT_EQ(RunCommand(testutil::Vecgate() + " audit-log --json --snapshot-dir " + dir_, &out),
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
  EXPECT_TRUE(testutil::SameRecords(*other, *snapshot_, kCorpusNames));
}

TEST_F(RollbackTest, GateHookRollsBackTheBlamedCollectionsAndReportsFailures) {
  testutil::BreakMigration(*store_);
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
  EXPECT_TRUE(testutil::SameRecords(Reopened(), *snapshot_, kCorpusNames));

  // Everything, without --yes and without a terminal: refused, untouched.
  const auto before = testutil::Counts(*store_);
  outcome = hook(report, {});
  EXPECT_FALSE(outcome.succeeded);
  EXPECT_THAT(outcome.message, HasSubstr("--yes"));
  EXPECT_EQ(testutil::Counts(*store_), before);

  g.snapshot_id = "snapshot_19700101_000000";
  outcome = MakeGateRollbackHook(g)(report, {"sergio_corpus"});
  EXPECT_FALSE(outcome.succeeded);
  EXPECT_THAT(outcome.message, HasSubstr("not found"));
}

TEST_F(RollbackTest, IncludeNewCollectionsSetsAsideWhatTheSnapshotNeverHeld) {
  testutil::BreakMigration(*store_);
  std::string out;
  ASSERT_EQ(RunCommand(testutil::Vecgate() + " rollback --help", &out), 0);
  EXPECT_THAT(out, HasSubstr("--include-new-collections"));
  ASSERT_EQ(RunCommand(testutil::Vecgate() + " rollback " + id_ +
                           " --include-new-collections --yes --store " + uri_ +
                           " --snapshot-dir " + dir_ + " </dev/null",
                       &out),
            0)
      << out;
  auto counts = testutil::Counts(Reopened());
  EXPECT_EQ(counts.count("migrated_extra"), 0u);
  bool aside = false;
  for (const auto& [n, c] : counts) {
    if (n.rfind("migrated_extra_failed_", 0) == 0) aside = c == 1;
  }
  EXPECT_TRUE(aside) << "migrated_extra was not kept aside";
  EXPECT_TRUE(testutil::SameRecords(*store_, *snapshot_, kCorpusNames));
  EXPECT_EQ(RunCommand(testutil::Vecgate() + " rollback " + id_ +
                           " --include-new-collections --collections sergio_humor --store " +
                           uri_ + " --snapshot-dir " + dir_,
                       &out),
            3);
}

// Finishes a full rollback, then returns the path of its finished journal.
std::string DoneJournal(const std::string& dir) {
  auto journals = ListDoneJournals(Env::Default(), SnapshotPaths{dir});
  EXPECT_TRUE(journals.ok());
  EXPECT_EQ(journals->size(), 1u);
  return journals->empty() ? "" : journals->front().first;
}

TEST_F(RollbackTest, CleanupDeletesOnlyAsideCollectionsVecgateStamped) {
  testutil::BreakMigration(*store_);
  RollbackOptions o = Options();
  auto result = RunRollback(*store_, o);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  // Every collection of the snapshot existed in the target: four asides.
  ASSERT_EQ(result->aside_names.size(), 4u);
  // An edited journal: one entry names a live collection, another a
  // collection with an aside-like name that vecgate never stamped.
  auto live_info = store_->GetCollection("sergio_humor");
  ASSERT_TRUE(live_info.ok());
  CollectionInfo lookalike = *live_info;
  lookalike.name = "sergio_humor_failed_20200101000000";
  ASSERT_TRUE(store_->CreateCollection(lookalike).ok());
  const std::string path = DoneJournal(dir_);
  auto text = Env::Default()->ReadFile(path);
  ASSERT_TRUE(text.ok());
  auto journal = nlohmann::json::parse(*text);
  std::vector<std::string> genuine;  // asides the edited journal still names
  for (auto& c : journal["collections"]) {
    if (c["name"] != "sergio_humor" && c["name"] != "sergio_personality") {
      genuine.push_back(c["aside_name"]);
    }
    if (c["name"] == "sergio_humor") c["aside_name"] = "sergio_humor";
    if (c["name"] == "sergio_personality") c["aside_name"] = lookalike.name;
  }
  ASSERT_TRUE(WriteFileAtomically(Env::Default(), path, journal.dump(2)).ok());

  testutil::ClockEnv later(static_cast<int64_t>(Env::Default()->NowMicros() / 1000000) +
                          30 * 86400);
  CleanupOptions cleanup;
  cleanup.env = &later;
  cleanup.store = store_.get();
  auto cleaned = CleanupSnapshots(dir_, cleanup);
  ASSERT_TRUE(cleaned.ok()) << cleaned.status().ToString();
  ASSERT_EQ(genuine.size(), 2u);
  EXPECT_THAT(cleaned->removed_aside_collections,
              ::testing::UnorderedElementsAreArray(genuine));
  EXPECT_THAT(cleaned->kept_aside_collections,
              ::testing::UnorderedElementsAre("sergio_humor", lookalike.name));
  const auto names = testutil::CollectionNames(Reopened());
  EXPECT_THAT(names, Contains("sergio_humor")) << "cleanup deleted a live collection";
  EXPECT_THAT(names, Contains(lookalike.name));
  for (const auto& g : genuine) EXPECT_THAT(names, ::testing::Not(Contains(g)));
  EXPECT_TRUE(testutil::SameRecords(*store_, *snapshot_, kCorpusNames));
  EXPECT_EQ(testutil::Counts(*store_)["migrated_extra"], 1)
      << "a collection made after the snapshot survives rollback and cleanup";
}

TEST_F(RollbackTest, AJournalNamingACollectionTheSnapshotLacksIsAClearError) {
  testutil::BreakMigration(*store_);
  const auto before = testutil::Counts(*store_);
  RollbackJournal journal;
  journal.snapshot_id = id_;
  journal.target_store = store_->Describe();
  journal.type = RollbackType::kFull;
  journal.stamp = "20261201_000000";
  journal.started_at = "2026-12-01T00:00:00Z";
  journal.attempts = 1;
  JournalCollection ghost;
  ghost.name = "ghost_collection";
  ghost.phase = JournalPhase::kCreated;
  journal.collections.push_back(ghost);
  const std::string path = ActiveJournalPath(SnapshotPaths{dir_}, id_);
  ASSERT_TRUE(Env::Default()->CreateDirs(SnapshotPaths{dir_}.LogsDir()).ok());
  ASSERT_TRUE(WriteFileAtomically(Env::Default(), path, JournalJson(journal)).ok());
  std::string out;
  EXPECT_EQ(RunCommand(testutil::Vecgate() + " rollback " + id_ + " --yes --store " + uri_ +
                           " --snapshot-dir " + dir_ + " </dev/null",
                       &out),
            3)
      << out;
  EXPECT_THAT(out, HasSubstr("ghost_collection"));
  EXPECT_THAT(out, HasSubstr(path));
  EXPECT_EQ(testutil::Counts(Reopened()), before) << "the store was touched";
  // A journal that does not parse: the same, naming the file.
  ASSERT_TRUE(WriteFileAtomically(Env::Default(), path, "{\"snapshot_id\":").ok());
  EXPECT_EQ(RunCommand(testutil::Vecgate() + " rollback " + id_ + " --yes --store " + uri_ +
                           " --snapshot-dir " + dir_ + " </dev/null",
                       &out),
            3)
      << out;
  EXPECT_THAT(out, HasSubstr(path));
  // Absurd --lock-wait values are refused up front.
  EXPECT_EQ(RunCommand(testutil::Vecgate() + " rollback " + id_ +
                           " --dry-run --lock-wait 1e300 --store " + uri_ +
                           " --snapshot-dir " + dir_,
                       &out),
            3);
  EXPECT_THAT(out, HasSubstr("--lock-wait"));
  EXPECT_THAT(out, HasSubstr("out of range"));
}

TEST_F(RollbackTest, TheAuditLogHasAHeaderOneStatusVocabularyAndTheTrigger) {
  testutil::BreakMigration(*store_);
  GateRollbackOptions g;
  g.snapshot_dir = dir_;
  g.snapshot_id = "latest";
  g.store_uri = uri_;
  ValidationReport report;
  report.rollback_reason = "Data Loss Detected";
  CheckResult count;
  count.name = "count";
  count.status = CheckStatus::kFail;
  count.rollback_reason = "Data Loss Detected";
  CheckResult drift;
  drift.name = "duplicates";
  drift.status = CheckStatus::kPass;
  report.checks = {count, drift};
  RollbackOutcome outcome = MakeGateRollbackHook(g)(report, {"sergio_corpus"});
  ASSERT_TRUE(outcome.succeeded) << outcome.message;
  EXPECT_EQ(outcome.snapshot_id, id_);

  std::string out;
  ASSERT_EQ(RunCommand(testutil::Vecgate() + " audit-log --json --snapshot-dir " + dir_, &out),
            0);
  auto log = nlohmann::json::parse(out);
  ASSERT_FALSE(log.empty());
  EXPECT_EQ(log.back()["status"], "ok");
  EXPECT_THAT(log.back()["trigger"].get<std::string>(), HasSubstr("count"));
  EXPECT_THAT(log.back()["trigger"].get<std::string>(), HasSubstr("Data Loss Detected"));
  EXPECT_THAT(log.back()["trigger"].get<std::string>(), ::testing::Not(HasSubstr("duplicates")));
  for (const auto& e : log) {
    EXPECT_TRUE(e["status"] == "ok" || e["status"] == "failed") << e.dump();
  }
  ASSERT_EQ(RunCommand(testutil::Vecgate() + " audit-log --snapshot-dir " + dir_, &out), 0);
  EXPECT_EQ(out.rfind("TIME (UTC)", 0), 0u) << out;
  EXPECT_THAT(out, HasSubstr("STATUS"));
  EXPECT_THAT(out, HasSubstr("triggered by gate FAILED: Data Loss Detected"));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("completed")));
  // Columns line up: the status column starts at the same offset on every
  // entry line.
  size_t start = 0;
  const size_t header_status = out.find("STATUS");
  while (start < out.size()) {
    size_t end = out.find('\n', start);
    std::string line = out.substr(start, end - start);
    start = end + 1;
    if (line.rfind("20", 0) != 0) continue;  // entry lines start with the year
    EXPECT_TRUE(line.compare(header_status, 3, "ok ") == 0 ||
                line.compare(header_status, 6, "failed") == 0)
        << line;
  }
}

}  // namespace
}  // namespace vecgate
