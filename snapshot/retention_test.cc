// Snapshot cleanup without a server: the retention rule alone
// (DecideRetention), then CleanupSnapshots on real files in a temporary
// directory -- a snapshot whose checksum passes is never deleted as damaged,
// damaged ones and pieces without a readable manifest are kept or
// quarantined unless --force, archives without a manifest are rebuilt --
// and the deletion of aside collections, which must prove by name and stamp
// that vecgate set them aside, whatever a journal says.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "snapshot/journal.h"
#include "snapshot/rollback.h"
#include "snapshot/rollback_test_util.h"
#include "snapshot/snapshot.h"

namespace vecgate {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using testutil::Fill;
using testutil::RollbackStore;
using testutil::TempDir;
using testutil::TestEnv;

constexpr int64_t kDay = 86400;
constexpr int64_t kNow = 1796083200;  // 2026-12-01T00:00:00Z

RetentionCandidate Candidate(const std::string& id, int64_t taken,
                             const std::string& status = "created") {
  return RetentionCandidate{id, FormatIso8601(taken), status, ""};
}

// "id: action" per decision, in order.
std::vector<std::string> Actions(const std::vector<CleanupDecision>& decisions) {
  std::vector<std::string> out;
  for (const auto& d : decisions) out.push_back(d.id + ": " + d.action);
  return out;
}

TEST(DecideRetentionTest, ExpiredSnapshotsGoButTheNewestAndTheNewestVerifiedStay) {
  const auto decisions = DecideRetention(
      {Candidate("s1", kNow - 30 * kDay, "verified"), Candidate("s2", kNow - 20 * kDay),
       Candidate("s3", kNow - 10 * kDay), Candidate("s4", kNow - 2 * kDay),
       Candidate("s5", kNow - kDay)},
      kNow, /*retention_days=*/7, /*keep=*/7);
  EXPECT_THAT(Actions(decisions), ElementsAre("s5: keep", "s4: keep", "s3: remove",
                                              "s2: remove", "s1: keep"));
  EXPECT_EQ(decisions[0].reason, "the newest snapshot");
  EXPECT_EQ(decisions[1].reason, "within retention (7 days) and among the newest 7");
  EXPECT_EQ(decisions[2].reason, "older than 7 days (taken 2026-11-21T00:00:00Z)");
  EXPECT_THAT(decisions[4].reason, HasSubstr("the newest verified snapshot"));

  // All expired: the newest is kept anyway; "restored" counts as verified.
  const auto old = DecideRetention(
      {Candidate("s1", kNow - 30 * kDay, "restored"), Candidate("s2", kNow - 20 * kDay)}, kNow,
      7, 7);
  EXPECT_THAT(Actions(old), ElementsAre("s2: keep", "s1: keep"));
  EXPECT_EQ(old[0].reason, "the newest snapshot");
}

TEST(DecideRetentionTest, OnlyTheKeepNewestStayAndOrderIsByTimeThenId) {
  std::vector<RetentionCandidate> fresh = {
      Candidate("b", kNow - 3600), Candidate("d", kNow - 60), Candidate("a", kNow - 3600),
      Candidate("c", kNow - 7200)};
  fresh[1].note = "; its manifest was rebuilt from the archive";
  const auto decisions = DecideRetention(fresh, kNow, 7, /*keep=*/2);
  EXPECT_THAT(Actions(decisions),
              ElementsAre("d: keep", "b: keep", "a: remove", "c: remove"));
  EXPECT_EQ(decisions[0].reason, "the newest snapshot; its manifest was rebuilt from the archive");
  EXPECT_EQ(decisions[2].reason, "beyond --keep 2 (number 3 from the newest)");
}

TEST(DecideRetentionTest, ATimestampThatDoesNotParseNeverExpires) {
  const auto decisions = DecideRetention(
      {Candidate("new", kNow), RetentionCandidate{"odd", "yesterday", "created", ""}}, kNow, 0,
      7);
  // "yesterday" sorts above the ISO times, so it counts as the newest.
  EXPECT_THAT(Actions(decisions), ElementsAre("odd: keep", "new: keep"));
}

// Snapshots taken 3, 2 and 1 days before kNow, in a temporary directory.
class CleanupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.path() + "/snaps";
    Fill(source_, "a", 10);
    Fill(source_, "b", 2);
    for (int days : {3, 2, 1}) {
      env_.set_now(kNow - days * kDay);
      ids_.push_back(testutil::Snapshot(source_, dir_, &env_));
      ASSERT_FALSE(ids_.back().empty());
    }
    env_.set_now(kNow);
  }

  Result<CleanupResult> Cleanup(bool force = false, bool dry_run = false, int keep = 7,
                                int retention_days = 7) {
    CleanupOptions o;
    o.env = &env_;
    o.force = force;
    o.dry_run = dry_run;
    o.keep = keep;
    o.retention_days = retention_days;
    o.lock_wait_seconds = 0;
    return CleanupSnapshots(dir_, o);
  }

  bool Exists(const std::string& path) { return env_.FileExists(path); }
  std::string Archive(int i) { return SnapshotPaths{dir_}.Archive(ids_[i]); }
  std::string ManifestOf(int i) { return SnapshotPaths{dir_}.Manifest(ids_[i]); }

  // The decision cleanup made about `id`.
  static const CleanupDecision* Decision(const CleanupResult& r, const std::string& id) {
    for (const auto& d : r.decisions) {
      if (d.id == id) return &d;
    }
    return nullptr;
  }

  void Truncate(const std::string& path) {
    std::filesystem::resize_file(path, std::filesystem::file_size(path) - 100);
  }
  void Write(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
  }

  TempDir tmp_;
  TestEnv env_;
  RollbackStore source_{"memory:source"};
  std::string dir_;
  std::vector<std::string> ids_;
};

TEST_F(CleanupTest, ADryRunDecidesLikeTheRealRunAndChangesNothing) {
  auto dry = Cleanup(false, /*dry_run=*/true, /*keep=*/1);
  ASSERT_TRUE(dry.ok()) << dry.status().ToString();
  EXPECT_THAT(dry->removed_snapshots, UnorderedElementsAre(ids_[0], ids_[1]));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(Exists(Archive(i)) && Exists(ManifestOf(i)));

  auto real = Cleanup(false, false, /*keep=*/1);
  ASSERT_TRUE(real.ok()) << real.status().ToString();
  EXPECT_EQ(Actions(real->decisions), Actions(dry->decisions));
  EXPECT_THAT(real->kept, ElementsAre(ids_[2]));
  EXPECT_FALSE(Exists(Archive(0)) || Exists(ManifestOf(0)));
  EXPECT_FALSE(Exists(Archive(1)) || Exists(ManifestOf(1)));
  EXPECT_TRUE(Exists(Archive(2)) && Exists(ManifestOf(2)));
}

TEST_F(CleanupTest, ASnapshotWhoseChecksumPassesIsNeverDeletedAsDamagedEvenWithForce) {
  // Its last verification failed (a read error then), but the bytes are fine.
  ASSERT_TRUE(UpdateManifestStatus(&env_, dir_, ids_[1], "failed").ok());
  auto r = Cleanup(/*force=*/true);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(r->rechecked, ElementsAre(ids_[1]));
  EXPECT_THAT(r->damaged, IsEmpty());
  EXPECT_THAT(r->removed_snapshots, IsEmpty());
  EXPECT_THAT(Decision(*r, ids_[1])->reason, HasSubstr("its checksum passes now"));
  EXPECT_TRUE(Exists(Archive(1)));
  EXPECT_EQ(LoadManifest(&env_, dir_, ids_[1])->status, "verified");
}

TEST_F(CleanupTest, ADamagedSnapshotIsKeptUnlessForced) {
  Truncate(Archive(0));
  auto kept = Cleanup();
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_THAT(kept->damaged, ElementsAre(ids_[0]));
  EXPECT_EQ(Decision(*kept, ids_[0])->action, "keep");
  EXPECT_THAT(Decision(*kept, ids_[0])->reason, HasSubstr("pass --force to delete it"));
  EXPECT_TRUE(Exists(Archive(0)) && Exists(ManifestOf(0)));

  auto forced = Cleanup(/*force=*/true);
  ASSERT_TRUE(forced.ok()) << forced.status().ToString();
  EXPECT_THAT(forced->removed_snapshots, ElementsAre(ids_[0]));
  EXPECT_FALSE(Exists(Archive(0)) || Exists(ManifestOf(0)));
  EXPECT_TRUE(Exists(Archive(1)) && Exists(Archive(2))) << "the intact ones stay";
}

TEST_F(CleanupTest, AnArchiveWithoutItsManifestIsRebuiltNotDeleted) {
  ASSERT_TRUE(env_.RemoveFile(ManifestOf(1)).ok());
  auto r = Cleanup(/*force=*/true);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(r->rebuilt, ElementsAre(ids_[1]));
  EXPECT_THAT(r->removed_snapshots, IsEmpty());
  EXPECT_TRUE(Exists(Archive(1)));
  auto m = LoadManifest(&env_, dir_, ids_[1]);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->collections.size(), 2u);
  EXPECT_THAT(Decision(*r, ids_[1])->reason, HasSubstr("rebuilt from the archive"));
}

TEST_F(CleanupTest, PiecesWithoutAReadableManifestAreQuarantinedUnlessForced) {
  const SnapshotPaths paths{dir_};
  const std::string garbage = paths.Archive("snapshot_20200101_000000");
  Write(garbage, "not a gzip stream");
  const std::string orphan_manifest = ManifestOf(0);
  ASSERT_TRUE(env_.RemoveFile(Archive(0)).ok());  // a manifest without its archive
  const std::string stray = paths.SnapshotsDir() + "/README.txt";
  Write(stray, "someone's notes");

  auto r = Cleanup();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(r->quarantined, UnorderedElementsAre(garbage, orphan_manifest));
  EXPECT_THAT(r->removed_incomplete, IsEmpty());
  EXPECT_FALSE(Exists(garbage));
  EXPECT_FALSE(Exists(orphan_manifest));
  auto quarantine = env_.ListDir(dir_ + "/quarantine");
  ASSERT_TRUE(quarantine.ok());
  EXPECT_EQ(quarantine->size(), 2u) << "moved, not deleted";
  EXPECT_TRUE(Exists(stray)) << "a file that is not vecgate's is left alone";
  EXPECT_EQ(Decision(*r, "README.txt")->action, "keep");

  Write(garbage, "not a gzip stream");
  auto forced = Cleanup(/*force=*/true);
  ASSERT_TRUE(forced.ok()) << forced.status().ToString();
  EXPECT_THAT(forced->removed_incomplete, ElementsAre(garbage));
  EXPECT_FALSE(Exists(garbage));
  EXPECT_EQ(env_.ListDir(dir_ + "/quarantine")->size(), 2u);
  EXPECT_TRUE(Exists(stray));
}

// A rollback into an in-memory target leaves two stamped aside collections
// (a replaced, made_after set aside; b was not in the target) and a
// finished journal naming them.
class AsideCleanupTest : public CleanupTest {
 protected:
  void SetUp() override {
    CleanupTest::SetUp();
    Fill(target_, "a", 3, /*salt=*/1);
    Fill(target_, "made_after", 2);
    Roll(target_);
  }

  void Roll(RollbackStore& target) {
    RollbackOptions o;
    o.snapshot_dir = dir_;
    o.snapshot_id = ids_[2];
    o.env = &env_;
    o.lock_wait_seconds = 0;
    o.include_new_collections = true;
    auto rolled = RunRollback(target, o);
    ASSERT_TRUE(rolled.ok()) << rolled.status().ToString();
    asides_ = rolled->aside_names;
  }

  Result<CleanupResult> CleanupStore(Store& store, int64_t days_later, bool dry_run = false) {
    env_.set_now(kNow + days_later * kDay);
    CleanupOptions o;
    o.env = &env_;
    o.store = &store;
    o.dry_run = dry_run;
    o.lock_wait_seconds = 0;
    return CleanupSnapshots(dir_, o);
  }

  std::string DoneJournal() {
    auto done = ListDoneJournals(&env_, SnapshotPaths{dir_});
    EXPECT_TRUE(done.ok() && done->size() == 1u);
    return done.ok() && !done->empty() ? done->front().first : "";
  }

  std::vector<std::string> Names(Store& store) {
    std::vector<std::string> out;
    auto listed = store.ListCollections();
    EXPECT_TRUE(listed.ok()) << listed.status().ToString();
    if (listed.ok()) {
      for (const auto& c : *listed) out.push_back(c.name);
    }
    return out;
  }

  RollbackStore target_;
  std::vector<std::string> asides_;
};

TEST_F(AsideCleanupTest, StampedAsidesGoOnlyAfterTheirRetentionAndOnlyOnce) {
  ASSERT_THAT(asides_, UnorderedElementsAre("a_failed_20261201000000",
                                            "made_after_failed_20261201000000"));
  auto early = CleanupStore(target_, 3);
  ASSERT_TRUE(early.ok()) << early.status().ToString();
  EXPECT_THAT(early->removed_aside_collections, IsEmpty()) << "within the 7-day retention";

  auto dry = CleanupStore(target_, 30, /*dry_run=*/true);
  ASSERT_TRUE(dry.ok());
  EXPECT_THAT(dry->removed_aside_collections, UnorderedElementsAre(asides_[0], asides_[1]));
  EXPECT_EQ(Names(target_).size(), 4u) << "a dry run deletes nothing";

  auto r = CleanupStore(target_, 30);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(r->removed_aside_collections, UnorderedElementsAre(asides_[0], asides_[1]));
  EXPECT_THAT(Names(target_), UnorderedElementsAre("a", "b"));
  EXPECT_TRUE(ReadJournal(&env_, DoneJournal())->asides_removed);
  auto again = CleanupStore(target_, 31);
  ASSERT_TRUE(again.ok());
  EXPECT_THAT(again->removed_aside_collections, IsEmpty());

  // Another store's finished rollbacks are not this store's business.
  RollbackStore other("memory:other");
  Fill(other, "a_failed_20261201000000", 1);
  auto elsewhere = CleanupStore(other, 30);
  ASSERT_TRUE(elsewhere.ok());
  EXPECT_THAT(elsewhere->removed_aside_collections, IsEmpty());
  EXPECT_THAT(Names(other), ElementsAre("a_failed_20261201000000"));
}

// The journal says where to look; only the collection itself (its aside
// name form and the rollback's stamp in its metadata) proves it is vecgate's.
TEST_F(AsideCleanupTest, ANameReadFromTheJournalAloneNeverDeletesACollection) {
  // An unstamped collection with an aside-like name, and one stamped by
  // another rollback.
  Fill(target_, "a_failed_20200101000000", 1);
  CollectionInfo foreign = *target_.GetCollection(asides_[1]);
  foreign.name = "made_after_failed_20200101000000";
  foreign.metadata[kAsideStampSnapshotKey] = std::string("snapshot_other");
  ASSERT_TRUE(target_.CreateCollection(foreign).ok());
  const std::string path = DoneJournal();
  nlohmann::json journal = nlohmann::json::parse(*env_.ReadFile(path));
  for (auto& c : journal["collections"]) {
    if (c["name"] == "a") c["aside_name"] = "a_failed_20200101000000";
    if (c["name"] == "b") c["aside_name"] = "a";  // a live collection
    if (c["name"] == "made_after") c["aside_name"] = foreign.name;
  }
  ASSERT_TRUE(WriteFileAtomically(&env_, path, journal.dump(2)).ok());

  auto r = CleanupStore(target_, 30);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(r->removed_aside_collections, IsEmpty());
  EXPECT_THAT(r->kept_aside_collections,
              UnorderedElementsAre("a_failed_20200101000000", "a", foreign.name));
  EXPECT_THAT(Names(target_), UnorderedElementsAre("a", "b", "a_failed_20200101000000",
                                                   foreign.name, asides_[0], asides_[1]));
  std::string warnings;
  for (const auto& w : r->warnings) warnings += w + "\n";
  EXPECT_THAT(warnings, HasSubstr("carries no vecgate set-aside stamp"));
  EXPECT_THAT(warnings, HasSubstr("is not named like a vecgate aside collection"));
  EXPECT_THAT(warnings, HasSubstr("is not the rollback's"));
  EXPECT_FALSE(ReadJournal(&env_, path)->asides_removed) << "some asides remain to check";
}

TEST_F(AsideCleanupTest, AsidesAStoreCouldNotStampAreNeverDeleted) {
  RollbackStore plain("memory:plain");
  plain.set_can_stamp(false);
  Fill(plain, "a", 3, /*salt=*/1);
  // A second rollback of the same snapshot: its own stamp and journal.
  env_.set_now(kNow + kDay);
  Roll(plain);
  ASSERT_THAT(asides_, ElementsAre("a_failed_20261202000000"));
  auto r = CleanupStore(plain, 30);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(r->removed_aside_collections, IsEmpty());
  EXPECT_THAT(r->kept_aside_collections, ElementsAre("a_failed_20261202000000"));
  EXPECT_THAT(Names(plain), Contains("a_failed_20261202000000"));
}

TEST_F(AsideCleanupTest, ADamagedFinishedJournalIsReportedAndItsAsidesKept) {
  ASSERT_TRUE(WriteFileAtomically(&env_, DoneJournal(), "{\"collections\": 7}").ok());
  auto r = CleanupStore(target_, 30);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(r->removed_aside_collections, IsEmpty());
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_THAT(r->warnings[0], HasSubstr(".done.json"));
  EXPECT_THAT(r->warnings[0], HasSubstr("cleanup skips this finished rollback"));
  EXPECT_EQ(Names(target_).size(), 4u);
}

}  // namespace
}  // namespace vecgate
