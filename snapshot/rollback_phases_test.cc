// Rollback without a server: the plan step's decisions (which collections
// are restored, set aside or left alone; whether a pending journal may be
// resumed), the plan changing nothing, and a rollback interrupted at every
// store mutation and every journal write, in every phase, then resumed to
// exactly the snapshot with the replaced collections kept aside.
#include "snapshot/rollback.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "snapshot/audit_log.h"
#include "snapshot/rollback_test_util.h"

namespace vecgate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testutil::Collection;
using testutil::Fill;
using testutil::RollbackStore;
using testutil::SameCollection;
using testutil::TempDir;
using testutil::TestEnv;

constexpr int64_t kNow = 1796083200;  // 2026-12-01T00:00:00Z

// A manifest as the plan step sees one: collection names and page counts.
Manifest MadeUpManifest(const std::vector<std::pair<std::string, int>>& collections) {
  Manifest m;
  m.snapshot_id = "snapshot_20261130_000000";
  m.timestamp = "2026-11-30T00:00:00Z";
  m.source_store = "memory:source";
  for (const auto& [name, pages] : collections) {
    ManifestCollection mc;
    mc.info.name = name;
    mc.pages.resize(static_cast<size_t>(pages));
    for (auto& p : mc.pages) p.rows = 10;
    mc.count = 10 * pages;
    m.collections.push_back(mc);
  }
  return m;
}

std::vector<CollectionInfo> Listing(const std::vector<std::string>& names) {
  std::vector<CollectionInfo> out;
  for (const auto& n : names) out.push_back(Collection(n));
  return out;
}

TEST(PlanNewJournalTest, AFullRollbackSetsAsideWhatItReplacesAndLeavesNewCollections) {
  const Manifest m = MadeUpManifest({{"a", 2}, {"b", 1}});
  std::vector<std::string> untouched;
  const RollbackJournal j = PlanNewJournal(
      m, Listing({"a", "made_after", "a_failed_20250101000000"}), "memory:target", {},
      /*include_new_collections=*/false, kNow, &untouched);
  EXPECT_EQ(j.type, RollbackType::kFull);
  EXPECT_EQ(j.snapshot_id, m.snapshot_id);
  EXPECT_EQ(j.target_store, "memory:target");
  EXPECT_EQ(j.stamp, "20261201_000000");
  EXPECT_EQ(j.started_at, "2026-12-01T00:00:00Z");
  ASSERT_EQ(j.collections.size(), 2u);
  EXPECT_EQ(j.collections[0].name, "a");
  EXPECT_EQ(j.collections[0].aside_name, "a_failed_20261201000000");
  EXPECT_EQ(j.collections[0].phase, JournalPhase::kPending);
  EXPECT_TRUE(j.collections[0].restore);
  EXPECT_EQ(j.collections[1].name, "b");
  EXPECT_EQ(j.collections[1].aside_name, "") << "not in the target: nothing to set aside";
  // An earlier rollback's aside collection is neither new nor touched.
  EXPECT_THAT(untouched, ElementsAre("made_after"));
}

TEST(PlanNewJournalTest, IncludeNewCollectionsOnlySetsThemAside) {
  const Manifest m = MadeUpManifest({{"a", 1}});
  std::vector<std::string> untouched;
  const RollbackJournal j =
      PlanNewJournal(m, Listing({"a", "made_after", "a_failed_20250101000000"}),
                     "memory:target", {}, true, kNow, &untouched);
  EXPECT_TRUE(j.include_new_collections);
  EXPECT_TRUE(untouched.empty());
  ASSERT_EQ(j.collections.size(), 2u);
  EXPECT_EQ(j.collections[1].name, "made_after");
  EXPECT_FALSE(j.collections[1].restore);
  EXPECT_EQ(j.collections[1].aside_name, "made_after_failed_20261201000000");
  EXPECT_EQ(j.collections[1].final_phase(), JournalPhase::kRenamedAside);
}

TEST(PlanNewJournalTest, APartialRollbackTouchesOnlyTheRequestedCollections) {
  const Manifest m = MadeUpManifest({{"a", 1}, {"b", 1}, {"c", 1}});
  std::vector<std::string> untouched;
  const RollbackJournal j = PlanNewJournal(m, Listing({"a", "b", "made_after"}),
                                           "memory:target", {"a", "c"},
                                           /*include_new_collections=*/true, kNow, &untouched);
  EXPECT_EQ(j.type, RollbackType::kPartial);
  EXPECT_FALSE(j.include_new_collections) << "only a full rollback sets new collections aside";
  EXPECT_EQ(j.requested, (std::vector<std::string>{"a", "c"}));
  ASSERT_EQ(j.collections.size(), 2u);
  EXPECT_EQ(j.collections[0].name, "a");
  EXPECT_EQ(j.collections[1].name, "c");
  EXPECT_TRUE(untouched.empty());
}

TEST(PlanNewJournalTest, AsideNamesNeverReuseANameTheTargetOrTheSnapshotHolds) {
  // The snapshot itself holds a collection with the aside name "a" would
  // get, and the target holds the next one.
  const Manifest m = MadeUpManifest({{"a", 1}, {"a_failed_20261201000000", 1}});
  const RollbackJournal j = PlanNewJournal(
      m, Listing({"a", "a_failed_20261201000000_2"}), "memory:target", {}, false, kNow, nullptr);
  ASSERT_EQ(j.collections.size(), 2u);
  EXPECT_EQ(j.collections[0].aside_name, "a_failed_20261201000000_3");
  EXPECT_TRUE(IsRollbackAsideName(j.collections[0].aside_name));
}

class CheckResumableTest : public ::testing::Test {
 protected:
  CheckResumableTest() : manifest_(MadeUpManifest({{"a", 3}, {"b", 1}})) {
    journal_ = PlanNewJournal(manifest_, Listing({"a", "b", "made_after"}), "memory:target",
                              {}, true, kNow, nullptr);
  }
  Status Check() {
    return CheckResumable(journal_, "DIR/logs/j.json", manifest_, "memory:target", {});
  }
  Manifest manifest_;
  RollbackJournal journal_;
};

TEST_F(CheckResumableTest, AJournalOfThisRollbackResumes) {
  EXPECT_TRUE(Check().ok()) << Check().ToString();
  journal_.collections[0].phase = JournalPhase::kCreated;
  journal_.collections[0].pages_done = 3;
  EXPECT_TRUE(Check().ok()) << Check().ToString();
}

TEST_F(CheckResumableTest, AnotherRollbacksJournalSaysHowToFinishIt) {
  Status other_store =
      CheckResumable(journal_, "DIR/logs/j.json", manifest_, "memory:elsewhere", {});
  EXPECT_EQ(other_store.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(other_store.message(), HasSubstr("--store memory:target"));
  Status other_request =
      CheckResumable(journal_, "DIR/logs/j.json", manifest_, "memory:target", {"a"});
  EXPECT_EQ(other_request.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(other_request.message(), HasSubstr("same --collections"));
}

TEST_F(CheckResumableTest, AnEditedOrForeignJournalIsRefusedBeforeAnythingChanges) {
  struct Edit {
    const char* what;
    std::function<void(RollbackJournal&)> edit;
    const char* says;
  };
  const std::vector<Edit> edits = {
      {"another snapshot", [](RollbackJournal& j) { j.snapshot_id = "snapshot_other"; },
       "records snapshot 'snapshot_other'"},
      {"a collection the snapshot lacks",
       [](RollbackJournal& j) { j.collections[1].name = "ghost"; }, "'ghost'"},
      {"more pages than the snapshot has",
       [](RollbackJournal& j) { j.collections[0].pages_done = 4; }, "4 pages of 'a'"},
      {"an aside name vecgate never gives",
       [](RollbackJournal& j) { j.collections[0].aside_name = "production"; }, "'production'"},
      {"an aside name that is a restored collection",
       [](RollbackJournal& j) { j.collections[2].aside_name = "b"; }, "aside as 'b'"},
  };
  for (const Edit& e : edits) {
    SCOPED_TRACE(e.what);
    RollbackJournal saved = journal_;
    e.edit(journal_);
    Status s = Check();
    EXPECT_EQ(s.code(), StatusCode::kCorruption);
    EXPECT_THAT(s.message(), HasSubstr(e.says));
    EXPECT_THAT(s.message(), HasSubstr("DIR/logs/j.json"));
    EXPECT_THAT(s.message(), HasSubstr("move it away"));
    journal_ = saved;
  }
}

TEST(MakeRollbackPlanTest, ThePlanSaysWhatEachCollectionGetsAndWhereAResumeStarts) {
  const Manifest m = MadeUpManifest({{"a", 3}, {"b", 1}});
  RollbackJournal j =
      PlanNewJournal(m, Listing({"a", "made_after"}), "memory:target", {}, false, kNow, nullptr);
  j.collections[0].phase = JournalPhase::kCreated;
  const RollbackPlan plan = MakeRollbackPlan(m, j, /*resuming=*/true, {"made_after"});
  EXPECT_EQ(plan.type, RollbackType::kFull);
  EXPECT_TRUE(plan.resuming);
  ASSERT_EQ(plan.steps.size(), 2u);
  EXPECT_EQ(plan.steps[0].records, 30);
  EXPECT_EQ(plan.steps[0].pages, 3);
  EXPECT_TRUE(plan.steps[0].exists_in_target);
  EXPECT_EQ(plan.steps[0].phase, JournalPhase::kCreated);
  EXPECT_FALSE(plan.steps[1].exists_in_target);
  const std::string text = plan.ToText();
  EXPECT_THAT(text, HasSubstr("full, resuming an interrupted rollback"));
  EXPECT_THAT(text, HasSubstr("a: [created] rename the current collection to "
                              "a_failed_20261201000000 (kept); recreate it and restore 30 "
                              "records in 3 batches"));
  EXPECT_THAT(text, HasSubstr("b: not in the target; recreate it"));
  EXPECT_THAT(text, HasSubstr("made_after: not in the snapshot (made after it): left untouched"));
}

// A snapshot of collections a (10 records, 3 pages) and b (3 records), and a
// target where a migration broke them and added another.
class RollbackPhasesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.path() + "/snaps";
    Fill(source_, "a", 10);
    Fill(source_, "b", 3);
    id_ = testutil::Snapshot(source_, dir_, &env_);
    ASSERT_FALSE(id_.empty());
    env_.set_now(kNow + 3600);
  }

  // A target holding the failed migration: a and b changed, made_after new.
  void BreakTarget(RollbackStore& target) {
    Fill(target, "a", 7, /*salt=*/1);
    Fill(target, "b", 3, /*salt=*/2);
    Fill(target, "made_after", 2);
  }

  RollbackOptions Options() {
    RollbackOptions o;
    o.snapshot_dir = dir_;
    o.snapshot_id = id_;
    o.verify_sample = 0;
    o.lock_wait_seconds = 0;
    o.env = &env_;
    o.include_new_collections = true;
    return o;
  }

  // The target holds exactly the snapshot, plus one stamped aside
  // collection per replaced one holding what the migration left.
  void ExpectRolledBack(RollbackStore& target) {
    EXPECT_TRUE(SameCollection(target, source_, "a"));
    EXPECT_TRUE(SameCollection(target, source_, "b"));
    RollbackStore broken;
    BreakTarget(broken);
    auto listed = target.ListCollections();
    ASSERT_TRUE(listed.ok());
    std::vector<std::string> names;
    for (const auto& c : *listed) names.push_back(c.name);
    EXPECT_THAT(names, ::testing::UnorderedElementsAre(
                           "a", "b", "a_failed_20261201010000", "b_failed_20261201010000",
                           "made_after_failed_20261201010000"));
    for (const char* original : {"a", "b", "made_after"}) {
      const std::string aside = std::string(original) + "_failed_20261201010000";
      auto info = target.GetCollection(aside);
      ASSERT_TRUE(info.ok()) << aside;
      EXPECT_TRUE(CheckAsideStamp(*info, id_, "20261201_010000", original).ok())
          << CheckAsideStamp(*info, id_, "20261201_010000", original).ToString();
      // The aside holds exactly what the migration left under the old name.
      ASSERT_TRUE(broken.RenameCollection(original, aside).ok());
      EXPECT_TRUE(SameCollection(target, broken, aside));
    }
    EXPECT_FALSE(env_.FileExists(ActiveJournalPath(SnapshotPaths{dir_}, id_)));
    EXPECT_EQ(LoadManifest(&env_, dir_, id_)->status, "restored");
  }

  // The phases the pending journal records, "name:phase:pages".
  std::vector<std::string> JournalState() {
    auto j = ReadJournal(&env_, ActiveJournalPath(SnapshotPaths{dir_}, id_));
    if (!j.ok()) return {};
    std::vector<std::string> out;
    for (const auto& c : j->collections) {
      out.push_back(c.name + ":" + std::string(JournalPhaseName(c.phase)) + ":" +
                    std::to_string(c.pages_done));
    }
    return out;
  }

  TempDir tmp_;
  TestEnv env_{kNow};
  RollbackStore source_{"memory:source"};
  std::string dir_, id_;
};

TEST_F(RollbackPhasesTest, ARollbackRestoresTheSnapshotAndKeepsTheReplacedCollectionsAside) {
  RollbackStore target;
  BreakTarget(target);
  RollbackOptions o = Options();
  std::string planned;
  o.confirm = [&](const RollbackPlan& plan) {
    planned = plan.ToText();
    return true;
  };
  auto result = RunRollback(target, o);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_THAT(planned, HasSubstr("made_after: rename the current collection to "
                                 "made_after_failed_20261201010000 (kept); not in the "
                                 "snapshot: only set aside"));
  EXPECT_THAT(result->restored, ElementsAre("a", "b"));
  EXPECT_EQ(result->records_restored, 13);
  EXPECT_EQ(result->aside_names.size(), 3u);
  ExpectRolledBack(target);
  auto audit = ReadAudit(&env_, SnapshotPaths{dir_}.AuditLog(), 1);
  ASSERT_TRUE(audit.ok());
  EXPECT_EQ(audit->back().action, "rollback");
  EXPECT_EQ(audit->back().status, "ok");
  EXPECT_THAT(audit->back().collections, ElementsAre("a", "b"));
}

TEST_F(RollbackPhasesTest, ThePlanAndAnUnconfirmedRollbackChangeNothing) {
  RollbackStore target;
  BreakTarget(target);
  // Any mutation would fail: the plan step only reads.
  target.FailMutation(1, /*after=*/false);
  RollbackOptions o = Options();
  o.dry_run = true;
  auto dry = RunRollback(target, o);
  ASSERT_TRUE(dry.ok()) << dry.status().ToString();
  EXPECT_EQ(dry->plan.steps.size(), 3u);
  EXPECT_FALSE(target.failed());

  o.dry_run = false;
  RollbackPlan seen;
  o.confirm = [&](const RollbackPlan& plan) {
    seen = plan;
    return false;
  };
  auto cancelled = RunRollback(target, o);
  EXPECT_EQ(cancelled.status().code(), StatusCode::kAborted);
  EXPECT_THAT(cancelled.status().message(), HasSubstr("nothing changed"));
  EXPECT_FALSE(target.failed()) << "the store was touched";
  EXPECT_EQ(seen.steps.size(), 3u);
  EXPECT_FALSE(env_.FileExists(ActiveJournalPath(SnapshotPaths{dir_}, id_)))
      << "no journal before the confirmation";
  auto audit = ReadAudit(&env_, SnapshotPaths{dir_}.AuditLog(), 2);
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->size(), 2u);
  EXPECT_EQ(audit->at(0).type, "dry_run");
  EXPECT_EQ(audit->at(1).status, "cancelled");
}

// Interrupted at the nth store mutation (before it, or after it but before
// the journal records it), then run again: it finishes exactly. Between
// them the interruptions leave the journal in every phase a store change
// can end.
TEST_F(RollbackPhasesTest, InterruptedAtEveryStoreMutationThenResumedFinishesExactly) {
  std::set<std::string> resumed_from;
  int interrupted = 0;
  for (bool after : {false, true}) {
    for (int n = 1; n < 100; ++n) {
      SCOPED_TRACE(std::string(after ? "after" : "before") + " store mutation " +
                   std::to_string(n));
      RollbackStore target;
      BreakTarget(target);
      target.FailMutation(n, after);
      auto first = RunRollback(target, Options());
      if (!target.failed()) {
        ASSERT_TRUE(first.ok()) << first.status().ToString();
        ExpectRolledBack(target);
        break;
      }
      ++interrupted;
      EXPECT_EQ(first.status().code(), StatusCode::kIoError);
      for (const std::string& state : JournalState()) resumed_from.insert(state);
      target.FailMutation(0, false);
      auto second = RunRollback(target, Options());
      ASSERT_TRUE(second.ok()) << second.status().ToString();
      EXPECT_TRUE(second->plan.resuming);
      ExpectRolledBack(target);
      if (HasFailure()) return;
    }
  }
  // 3 renames, 2 creates and 4 adds (a in 3 pages, b in 1), each
  // interrupted before and after.
  EXPECT_EQ(interrupted, 18);
  for (const char* state : {"a:pending:0", "a:renamed_aside:0", "a:created:0", "a:created:1",
                            "a:created:2", "a:verified:3", "b:created:0",
                            "made_after:pending:0"}) {
    EXPECT_TRUE(resumed_from.count(state)) << state;
  }
}

// Interrupted at the nth journal or manifest write (each atomic write ends
// in a rename), then run again: it finishes exactly, from every phase
// including those no store change ends (restored, before verifying).
TEST_F(RollbackPhasesTest, InterruptedAtEveryJournalWriteThenResumedFinishesExactly) {
  std::set<std::string> resumed_from;
  int interrupted = 0;
  for (int n = 1; n < 100; ++n) {
    SCOPED_TRACE("journal write " + std::to_string(n));
    RollbackStore target;
    BreakTarget(target);
    env_.FailRename(n);
    auto first = RunRollback(target, Options());
    const bool failed = env_.failed();
    env_.FailRename(0);
    if (!failed) {
      ASSERT_TRUE(first.ok()) << first.status().ToString();
      ExpectRolledBack(target);
      break;
    }
    ++interrupted;
    EXPECT_FALSE(first.ok());
    for (const std::string& state : JournalState()) resumed_from.insert(state);
    auto second = RunRollback(target, Options());
    ASSERT_TRUE(second.ok()) << second.status().ToString();
    ExpectRolledBack(target);
    if (HasFailure()) return;
  }
  // The first save, one per phase change and page (13), one before each of
  // the two collections is created (create_attempted), the manifest and the
  // finished journal.
  EXPECT_EQ(interrupted, 18);
  for (const char* state : {"a:restored:3", "b:restored:1", "a:verified:3",
                            "made_after:renamed_aside:0"}) {
    EXPECT_TRUE(resumed_from.count(state)) << state;
  }
}

}  // namespace
}  // namespace vecgate
